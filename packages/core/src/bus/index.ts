export * from './bus.js';
export * from './events.js';
export * from './topics.js';
