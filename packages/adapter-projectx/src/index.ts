/**
 * @tradenova/adapter-projectx: ProjectX Gateway (TopstepX and other firms) over
 * REST and the SignalR user hub, with an HTTP poll fallback. The default export is
 * the adapter plugin; `./simulator` serves a loopback ProjectX.
 */
import { ADAPTER_SPECIFICATION_VERSION, type AdapterPlugin } from '@tradenova/core';
import { type ProjectXConfig, projectxConfigSchema } from './config.js';
import { PROJECTX_CAPABILITIES, ProjectXConnection } from './connection.js';
import { BROKER } from './errors.js';

export { listProjectXAccounts } from './accounts.js';
export { ProjectXUserHub, redact, type UserHubListeners, type UserHubOptions } from './client/hub.js';
export { type RequestLane, SlidingWindowLimiter } from './client/rate-limiter.js';
export {
  type AuthStats,
  jwtExpiry,
  ProjectXRestClient,
  type RequestOptions,
  type RestClientOptions,
  type TokenState,
} from './client/rest.js';
export {
  PROJECTX_FIRMS,
  type ProjectXConfig,
  type ProjectXConfigInput,
  type ProjectXFirm,
  projectxConfigSchema,
  resolveEndpoints,
} from './config.js';
export { PROJECTX_CAPABILITIES, type ProjectXAccountInfo, ProjectXConnection } from './connection.js';
export {
  BROKER,
  DEFAULT_RETRY_AFTER_MS,
  type ErrorContext,
  errorCodeName,
  errorFromEnvelope,
  errorFromStatus,
} from './errors.js';
export * from './parse.js';
export { ProjectXState } from './state.js';
export {
  fromProjectXContractId,
  PROJECTX_ROOTS,
  type RootOverrides,
  toProjectXContractId,
  toProjectXName,
  toProjectXSymbolId,
} from './symbols.js';
export * from './wire.js';

/** The ProjectX adapter plugin (`broker: projectx`). */
export const projectxPlugin: AdapterPlugin<ProjectXConfig> = {
  specificationVersion: ADAPTER_SPECIFICATION_VERSION,
  name: BROKER,
  core: '^0.1.0',
  configSchema: projectxConfigSchema,
  capabilities: PROJECTX_CAPABILITIES,
  create: (config, context) => new ProjectXConnection(config, context),
};

export default projectxPlugin;
