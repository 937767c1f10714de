/**
 * @tradenova/adapter-rithmic: Rithmic's R|Protocol (WebSocket + protobuf), order and
 * PnL plants. The default export is the adapter plugin; `./simulator` serves a
 * loopback Rithmic gateway.
 */
import { ADAPTER_SPECIFICATION_VERSION, type AdapterPlugin } from '@tradenova/core';
import { type RithmicConfig, rithmicConfigSchema } from './config.js';
import { RITHMIC_CAPABILITIES, RithmicConnection } from './connection.js';
import { BROKER } from './errors.js';

export {
  heartbeatPeriodMs,
  type LoginResult,
  type PlantName,
  type PlantOptions,
  RithmicPlant,
} from './client/plant.js';
export {
  RITHMIC_GATEWAYS,
  type RithmicConfig,
  type RithmicConfigInput,
  rithmicConfigSchema,
} from './config.js';
export { RITHMIC_CAPABILITIES, RithmicConnection } from './connection.js';
export {
  BROKER,
  errorFromRpCode,
  FORCED_LOGOUT_REASON,
  isSuccess,
  RATE_LIMIT_RETRY_MS,
  RithmicForcedLogoutError,
} from './errors.js';
export * from './parse.js';
export { RithmicState } from './state.js';
export { fromRithmicSymbol, type RithmicSymbol, toRithmicSymbol } from './symbols.js';
export * from './wire.js';

/** The Rithmic adapter plugin (`broker: rithmic`). */
export const rithmicPlugin: AdapterPlugin<RithmicConfig> = {
  specificationVersion: ADAPTER_SPECIFICATION_VERSION,
  name: BROKER,
  core: '^0.1.0',
  configSchema: rithmicConfigSchema,
  capabilities: RITHMIC_CAPABILITIES,
  create: (config, context) => new RithmicConnection(config, context),
};

export default rithmicPlugin;
