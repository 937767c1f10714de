/**
 * @tradenova/core: the copy engine SDK. Follow the data flow of docs/architecture.md:
 * model → instruments → scaling → risk → engine (fan-out) → positions → bus.
 */
// The adapter contract; the kit for writing an adapter (lifecycle, reconnect, capabilities) is
// `@tradenova/core/adapter`, so the root stays the engine's surface.
export * from './adapter/contract.js';
export * from './adapter/lifecycle/fanout.js';
export * from './adapter/lifecycle/last-error.js';
export {
  isUnknownOutcome,
  PlacementGuard,
  type PlacementGuardOptions,
} from './adapter/lifecycle/placements.js';
export * from './bus/index.js';
export * from './clock/index.js';
export * from './config/index.js';
export * from './engine/index.js';
export * from './errors.js';
export * from './instruments/index.js';
export * from './leader/index.js';
export * from './market-data/index.js';
export * from './model/index.js';
export * from './money/index.js';
export * from './paper/index.js';
export * from './positions/index.js';
export * from './replay/index.js';
export * from './risk/index.js';
export * from './scaling/index.js';
export type { Logger } from './util/logger.js';
export { silentLogger } from './util/logger.js';
