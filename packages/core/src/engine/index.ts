export * from './engine.js';
export * from './follower.js';
export * from './intents.js';
export * from './resilience.js';
export * from './serial-queue.js';
