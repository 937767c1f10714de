import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@tradenova/core/testing';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { journaled } from '../../../src/services/journal/durable.js';
import { Journal } from '../../../src/services/journal/index.js';
import { everyEvent } from '../fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tn-durable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a consumer does not wait for a journal known to be away, and waits again once it is back', async () => {
  const journal = await Journal.open({ dir: join(dir, 'journal'), minRetryMs: 50, maxRetryMs: 100 });
  try {
    const events = everyEvent('ACC-D');
    journal.append(events['order-placed']);
    expect(await journaled(journal, 60_000)).toBe(true);

    // The database goes away for the table the next record needs.
    await sql`alter table orders rename to orders_away`.execute(journal.db);
    journal.append(events['order-rejected']);
    await waitFor(() => journal.degraded, { message: 'the journal to notice the outage', timeout: 20_000 });
    // Answered at once, not after the 60 s wait (the test's own timeout is far shorter).
    expect(await journaled(journal, 60_000)).toBe(false);

    await sql`alter table orders_away rename to orders`.execute(journal.db);
    // Back: the wait covers the queued record again and ends when it is written.
    await waitFor(() => !journal.degraded, { message: 'the journal to write again', timeout: 20_000 });
    expect(await journaled(journal, 60_000)).toBe(true);
    expect(journal.pending).toBe(0);
  } finally {
    await journal.close();
  }
}, 30_000);
