export * from './capabilities.js';
export * from './contract.js';
export * from './lifecycle/index.js';
