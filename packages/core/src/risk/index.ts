export * from './account-risk.js';
export * from './auto-flatten.js';
export * from './checks.js';
export * from './duplicate-guard.js';
export * from './evaluate.js';
export * from './reasons.js';
export * from './rules.js';
export * from './session.js';
