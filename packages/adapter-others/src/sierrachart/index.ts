/**
 * @tradenova/adapter-others/sierrachart: Sierra Chart through its DTC Protocol Server
 * (JSON encoding). The default export is the adapter plugin; `./sierrachart/simulator`
 * runs a loopback DTC server.
 */
import { ADAPTER_SPECIFICATION_VERSION, type AdapterPlugin } from '@tradenova/core';
import { type SierraChartConfig, sierraChartConfigSchema } from './config.js';
import { SIERRACHART_CAPABILITIES, SierraChartConnection } from './connection.js';
import { BROKER } from './errors.js';

export { DtcSession, type DtcSessionOptions } from './client/dtc-session.js';
export { type SierraChartConfig, type SierraChartConfigInput, sierraChartConfigSchema } from './config.js';
export { SIERRACHART_CAPABILITIES, SierraChartConnection } from './connection.js';
export {
  BROKER,
  disconnectedError,
  logonError,
  orderRejected,
  timeoutError,
  tradingDisabledError,
} from './errors.js';
export * from './parse.js';
export { type SierraSymbols, sierraSymbols } from './symbols.js';
export * from './wire.js';

/** The Sierra Chart adapter plugin (`broker: sierrachart`). */
export const sierraChartPlugin: AdapterPlugin<SierraChartConfig> = {
  specificationVersion: ADAPTER_SPECIFICATION_VERSION,
  name: BROKER,
  core: '^0.1.0',
  configSchema: sierraChartConfigSchema,
  capabilities: SIERRACHART_CAPABILITIES,
  create: (config, context) => new SierraChartConnection(config, context),
};

export default sierraChartPlugin;
