import { mkdir } from 'node:fs/promises';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { ServiceUnavailableError } from '../errors.js';
import { createPgPool } from './pg-pool.js';
import { PGliteDialect } from './pglite-dialect.js';
import { journalRefusal } from './refusal.js';
import type { JournalDatabase } from './schema.js';

/** The embedded journal's default directory, relative to the working directory. */
export const DEFAULT_JOURNAL_DIR = '.tradenova/journal';

/** Where the journal lives: a `postgres://` URL (pg) or a directory (PGlite). */
export type JournalLocation = { url: string; schema?: string } | { dir: string };

/** An open journal database and which driver it uses. */
export interface JournalDb {
  db: Kysely<JournalDatabase>;
  driver: 'pg' | 'pglite';
}

/** A location from a setting: `postgres://…`/`postgresql://…` is a server, anything else a PGlite directory. */
export function parseJournalLocation(setting: string | undefined): JournalLocation {
  if (setting && /^postgres(ql)?:\/\//.test(setting)) return { url: setting };
  return { dir: setting || DEFAULT_JOURNAL_DIR };
}

/**
 * Opens the journal database and checks it answers. A server that does not answer is
 * a `ServiceUnavailableError` naming postgres and the URL (password removed).
 */
export async function openJournalDb(location: JournalLocation): Promise<JournalDb> {
  if ('dir' in location) {
    await mkdir(location.dir, { recursive: true });
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = await PGlite.create({ dataDir: location.dir });
    return { db: new Kysely<JournalDatabase>({ dialect: new PGliteDialect(pglite) }), driver: 'pglite' };
  }
  if (location.schema && !/^[a-z_][a-z0-9_]*$/.test(location.schema)) {
    throw new Error(`journal schema must be a plain lower-case identifier: ${location.schema}`);
  }
  const db = new Kysely<JournalDatabase>({
    dialect: new PostgresDialect({
      pool: createPgPool(location.url, location.schema ? { schema: location.schema } : {}),
    }),
  });
  try {
    if (location.schema) {
      // A schema a DBA made for the journal's role is used as it is: `create schema if not
      // exists` would need CREATE on the whole database even when the schema is there.
      const found = await sql<{
        one: number;
      }>`select 1 as one from pg_namespace where nspname = ${location.schema}`.execute(db);
      if (found.rows.length === 0)
        await sql`create schema if not exists ${sql.id(location.schema)}`.execute(db);
    } else await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy().catch(() => {});
    throw (
      journalRefusal(error, location.url, {
        step: 'open',
        ...(location.schema ? { schema: location.schema } : {}),
      }) ?? new ServiceUnavailableError('postgres', location.url, { cause: error })
    );
  }
  return { db, driver: 'pg' };
}
