export * from './common.js';
export * from './execution.js';
export * from './intent.js';
export * from './parse-signal.js';
export * from './position.js';
export * from './signal.js';
