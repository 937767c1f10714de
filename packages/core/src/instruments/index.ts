export * from './contract.js';
export * from './months.js';
export * from './registry.js';
