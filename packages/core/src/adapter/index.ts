export * from './contract.js';
export * from './fanout.js';
export * from './placements.js';
