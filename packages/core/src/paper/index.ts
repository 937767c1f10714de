export * from './faults.js';
export * from './market.js';
export * from './paper-account.js';
export * from './paper-broker.js';
export * from './paper-plugin.js';
export * from './pricing.js';
export * from './prng.js';
export * from './simulated-exchange.js';
