export * from './ledger.js';
export * from './tracker.js';
