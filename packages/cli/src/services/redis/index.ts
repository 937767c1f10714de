export * from './actor.js';
export * from './memory-stores.js';
export * from './redis-stores.js';
export * from './stores.js';
export * from './token-crypto.js';
