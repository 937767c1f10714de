import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { makeRedactor } from '../../../src/secrets/redact.js';
import { Journal } from '../../../src/services/journal/index.js';
import { everyEvent } from '../fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tn-journal-redact-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every text column of every table, as one string to search. */
async function everything(journal: Journal): Promise<string> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = 'public'`.execute(journal.db);
  let all = '';
  for (const { table_name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(
      journal.db,
    );
    all += JSON.stringify(rows.rows);
  }
  return all;
}

it('an account id that came from an environment reference never reaches a journal row', async () => {
  // A value the config read from the environment, used as a follower's account id.
  const canary = 'ACC-CANARY-7f3a9c';
  for (const redact of [undefined, makeRedactor([canary])]) {
    const journal = await Journal.open({
      dir: join(dir, redact ? 'redacted' : 'plain'),
      ...(redact ? { redact } : {}),
    });
    try {
      for (const event of Object.values(everyEvent(canary))) journal.append(event);
      await journal.flush();
      const rows = await everything(journal);
      // Without the redactor the canary is there (the check can fail); with it, nowhere.
      if (redact) {
        expect(rows).not.toContain(canary);
        expect(rows).toContain('[redacted]');
      } else expect(rows).toContain(canary);
    } finally {
      await journal.close();
    }
  }
}, 60_000);
