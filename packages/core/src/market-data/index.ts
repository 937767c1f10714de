export * from './health.js';
export * from './mark.js';
export * from './random-walk.js';
export * from './source.js';
