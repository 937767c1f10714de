export * from './mark.js';
export * from './random-walk.js';
export * from './source.js';
