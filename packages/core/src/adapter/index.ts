export * from './contract.js';
export * from './fanout.js';
