import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openJournalDb } from '../../../src/services/journal/index.js';
import {
  migrateToLatest,
  pendingMigrations,
  readingCatalog,
} from '../../../src/services/journal/migrations.js';
import { describeWithService } from '../require-service.js';

const newSchema = () => `tn_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const invalidSchema = (name: string) =>
  Object.assign(new Error(`schema "${name}" does not exist`), { code: '3F000' });

describe('reading the catalog beside schemas that come and go', () => {
  it("tries again when another client's schema vanished mid-read, and only then", async () => {
    let calls = 0;
    const flaky = () =>
      readingCatalog('tn_mine', async () => {
        calls++;
        if (calls < 3) throw invalidSchema('tn_someone_else');
        return 'read';
      });
    expect(await flaky()).toBe('read');
    expect(calls).toBe(3);

    // Our own schema missing, or any other error: no second try.
    for (const error of [invalidSchema('tn_mine'), Object.assign(new Error('no'), { code: '42P01' })]) {
      calls = 0;
      await expect(
        readingCatalog('tn_mine', async () => {
          calls++;
          throw error;
        }),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }

    // A catalog that never settles: the error after a bounded number of tries.
    calls = 0;
    await expect(
      readingCatalog('tn_mine', async () => {
        calls++;
        throw invalidSchema('tn_someone_else');
      }),
    ).rejects.toThrow(/tn_someone_else/);
    expect(calls).toBe(8);
  });
});

describeWithService('postgres', 'reading the catalog of a real PostgreSQL', (url) => {
  const made: string[] = [];
  afterAll(async () => {
    const { db } = await openJournalDb({ url });
    for (const schema of made) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
  });

  it("knows the server's answer for a schema gone mid-read (as kysely's catalog query meets it) from one about its own", async () => {
    const mine = newSchema();
    made.push(mine);
    const { db } = await openJournalDb({ url, schema: mine });
    try {
      // The very check kysely's catalog query makes of every schema, on one that is not there.
      const ask = (schema: string) => sql`select has_schema_privilege(${schema}, 'USAGE')`.execute(db);
      let calls = 0;
      await expect(
        readingCatalog(mine, () => {
          calls++;
          return ask('tn_dropped_by_a_neighbour');
        }),
      ).rejects.toMatchObject({ code: '3F000' });
      expect(calls).toBe(8);
      calls = 0;
      await expect(
        readingCatalog(`${mine}_x`, () => {
          calls++;
          return ask(`${mine}_x`);
        }),
      ).rejects.toMatchObject({ code: '3F000' });
      expect(calls).toBe(1);
      // And the journal's own reads go through it: migrated, nothing pending.
      await migrateToLatest(db, mine);
      expect(await pendingMigrations(db, mine)).toEqual([]);
    } finally {
      await db.destroy();
    }
  });
});
