export * from './engine.js';
export * from './follower.js';
export * from './intents.js';
export * from './managed-bracket.js';
export * from './reconcile.js';
export * from './request-budget.js';
export * from './resilience.js';
export * from './serial-queue.js';
