/**
 * @tradenova/adapter-others/ninjatrader/simulator: a stand-in for NinjaTrader 8's file
 * interface. It watches an `incoming` folder for `oif*.txt` files and writes the
 * `outgoing` order-state, position and connection files as NinjaTrader does, in front
 * of the shared simulated exchange. With `atiPort` it also serves the ATI socket
 * (EXPERIMENTAL: NUL-terminated tokens, reverse-engineered, protocol notes §6.2).
 */
export * from './server.js';
