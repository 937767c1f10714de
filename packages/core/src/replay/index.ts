export * from './connections.js';
export * from './records.js';
export * from './report.js';
export { type ReplayOptions, type ReplayPriceFeed, type ReplayStep, runReplay } from './run-replay.js';
