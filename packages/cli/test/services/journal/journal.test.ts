import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../../src/services/errors.js';
import { Journal, openJournalDb, parseJournalLocation } from '../../../src/services/journal/index.js';
import { describeWithService } from '../require-service.js';
import { journalSuite } from './journal-suite.js';

// PGlite is embedded: this half needs no service and runs everywhere.
describe('Journal on PGlite (on disk)', () => {
  let root: string;
  beforeAll(async () => {
    // A new PGlite data directory costs an initdb (about 6 s); reopening a copy about 0.7 s.
    // Each test gets a fresh copy of one empty, initialized directory.
    root = await mkdtemp(join(tmpdir(), 'tn-journal-'));
    const template = await PGlite.create({ dataDir: join(root, 'template') });
    await template.close();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  journalSuite(async () => {
    const dir = join(root, randomUUID());
    await cp(join(root, 'template'), dir, { recursive: true });
    return { dir };
  });
});

describeWithService('postgres', 'Journal on PostgreSQL (pg)', (url) => {
  const schemas: string[] = [];
  afterAll(async () => {
    const { db } = await openJournalDb({ url });
    for (const schema of schemas) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
  });
  journalSuite(async () => {
    const schema = `tn_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    schemas.push(schema);
    return { url, schema };
  });

  it('refuses to start on a schema that is behind, naming the command', async () => {
    const schema = `tn_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    schemas.push(schema);
    await expect(Journal.open({ url, schema })).rejects.toThrow(/tradenova migrate/);
  });
});

describe('journal location', () => {
  it('reads postgres URLs as servers and anything else as a PGlite directory', () => {
    expect(parseJournalLocation('postgres://u@h/db')).toEqual({ url: 'postgres://u@h/db' });
    expect(parseJournalLocation(undefined)).toEqual({ dir: '.tradenova/journal' });
    expect(parseJournalLocation('/var/tn')).toEqual({ dir: '/var/tn' });
  });

  it('names postgres and the address, without the password, when the server does not answer', async () => {
    const error = await openJournalDb({ url: 'postgres://tn:secret@127.0.0.1:1/test' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).message).toContain('127.0.0.1:1');
    expect((error as Error).message).not.toContain('secret');
  });
});
