export * from './plan.js';
export * from './round.js';
export * from './scale.js';
export * from './symbol-map.js';
