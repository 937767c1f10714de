/**
 * @tradenova/adapter-tradovate: Tradovate over REST and the user WebSocket.
 * The default export is the adapter plugin; `./simulator` serves a loopback Tradovate.
 */
import { ADAPTER_SPECIFICATION_VERSION, type AdapterPlugin } from '@tradenova/core';
import { type TradovateConfig, tradovateConfigSchema } from './config.js';
import { TRADOVATE_CAPABILITIES, TradovateConnection } from './connection.js';
import { BROKER } from './errors.js';

export type {
  AuthStats,
  RestClientOptions,
  RestRequest,
  TokenState,
  TradovateCredentials,
} from './client/rest.js';
export { TradovateRestClient } from './client/rest.js';
export type { SocketResponse, UserSocketListeners, UserSocketOptions } from './client/websocket.js';
export { TradovateUserSocket } from './client/websocket.js';
export {
  resolveEndpoints,
  TRADOVATE_HOSTS,
  type TradovateConfig,
  type TradovateConfigInput,
  tradovateConfigSchema,
} from './config.js';
export { TRADOVATE_CAPABILITIES, TradovateConnection } from './connection.js';
export { BROKER, errorFromBody, errorFromStatus, LOCKOUT_MS, penaltyError, penaltyOf } from './errors.js';
export * from './parse.js';
export { TradovateState } from './state.js';
export { fromTradovateSymbol, toTradovateSymbol } from './symbols.js';
export * from './wire.js';

/** The Tradovate adapter plugin (`broker: tradovate`). */
export const tradovatePlugin: AdapterPlugin<TradovateConfig> = {
  specificationVersion: ADAPTER_SPECIFICATION_VERSION,
  name: BROKER,
  core: '^0.1.0',
  configSchema: tradovateConfigSchema,
  capabilities: TRADOVATE_CAPABILITIES,
  create: (config, context) => new TradovateConnection(config, context),
};

export default tradovatePlugin;
