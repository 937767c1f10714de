export * from './journal.js';
export * from './migrations.js';
export * from './open-database.js';
export * from './pg-pool.js';
export * from './pglite-dialect.js';
export * from './rows.js';
export * from './schema.js';
