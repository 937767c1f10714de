export * from './money.js';
export * from './price.js';
