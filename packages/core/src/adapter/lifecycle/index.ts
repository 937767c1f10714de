export * from './broker-errors.js';
export * from './connection-lifecycle.js';
export * from './fanout.js';
export * from './last-error.js';
export * from './placements.js';
export * from './reconnect.js';
