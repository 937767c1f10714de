export * from './connections.js';
export * from './records.js';
export * from './report.js';
export {
  type ReplayOptions,
  type ReplayPriceFeed,
  type ReplayState,
  type ReplayStep,
  runReplay,
} from './run-replay.js';
export { ReplayWireClock } from './wire-clock.js';
