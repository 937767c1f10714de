/**
 * `@tradenova/adapter-others/dxfeed`: dxFeed market data over dxLink (official
 * `@dxfeed/dxlink-*` client, loaded on start). Market data only: dxLink has no
 * order entry, so this is a `MarketDataSource`, never a broker connection.
 */
export { type DxFeedConfig, type DxFeedConfigInput, dxFeedConfigSchema } from './config.js';
export { DXFEED_EVENT_FIELDS, type DxFeedContext, DxFeedMarketData } from './source.js';
export { fromDxFeedSymbol, toDxFeedSymbol } from './symbols.js';
