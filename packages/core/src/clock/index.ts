export * from './clock.js';
export * from './virtual-clock.js';
