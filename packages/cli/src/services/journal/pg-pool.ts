import { createRequire } from 'node:module';
import type { PostgresPool } from 'kysely';

/** The part of pg's `Pool` constructor used here (the package ships no types and @types/pg is not installed). */
interface PgModule {
  Pool: new (config: {
    connectionString: string;
    max?: number;
    options?: string;
    connectionTimeoutMillis?: number;
  }) => PostgresPool & { on(event: 'error', listener: (error: Error) => void): void };
}

/**
 * A pg connection pool for kysely's Postgres dialect. pg is loaded here, on first use,
 * so a run on the embedded database never loads it. `schema` sets the search path of
 * every connection (tests use a schema of their own in a shared database).
 */
export function createPgPool(
  url: string,
  options: { schema?: string; max?: number; onError?: (error: Error) => void } = {},
): PostgresPool {
  const pg = createRequire(import.meta.url)('pg') as PgModule;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 4,
    connectionTimeoutMillis: 5000,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle connection the server closed is reported here; without a listener pg would crash the process.
  pool.on('error', options.onError ?? (() => {}));
  return pool;
}
