export * from './contract.js';
export * from './fanout.js';
export * from './last-error.js';
export * from './placements.js';
