/**
 * `@tradenova/adapter-others/dxfeed/simulator`: a dxLink WebSocket server on
 * loopback. SETUP / AUTH / KEEPALIVE, FEED channels, Quote and Trade in COMPACT
 * or FULL, one event type per FEED_DATA (what the official client decodes),
 * scripted or random-walk prices, keepalive enforcement, disconnects on demand.
 */
export * from './server.js';
