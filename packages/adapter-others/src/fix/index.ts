/**
 * `@tradenova/adapter-others/fix`: a FIX 4.2 / 4.4 order-entry initiator (jspurefix,
 * loaded only when a session starts). The default export is the adapter plugin
 * (`broker: fix`); `./fix/simulator` serves a loopback acceptor.
 */
import { ADAPTER_SPECIFICATION_VERSION, type AdapterPlugin } from '@tradenova/core';
import { type FixConfig, fixConfigSchema } from './config.js';
import { FIX_CAPABILITIES, FixConnection } from './connection.js';
import { BROKER } from './errors.js';

export type { FixSessionHandle, FixSessionHandlers } from './client/session.js';
export { type FixConfig, type FixConfigInput, type FixSymbology, fixConfigSchema } from './config.js';
export { FIX_CAPABILITIES, FixConnection } from './connection.js';
export { BROKER, cancelRejectError, isOutcomeUnknown, rejectError } from './errors.js';
export * from './parse.js';
export { type FixInstrument, fromFixInstrument, toFixInstrument } from './symbols.js';
export * from './wire.js';

/** The FIX adapter plugin (`broker: fix`). */
export const fixPlugin: AdapterPlugin<FixConfig> = {
  specificationVersion: ADAPTER_SPECIFICATION_VERSION,
  name: BROKER,
  core: '^0.1.0',
  configSchema: fixConfigSchema,
  capabilities: FIX_CAPABILITIES,
  create: (config, context) => new FixConnection(config, context),
};

export default fixPlugin;
