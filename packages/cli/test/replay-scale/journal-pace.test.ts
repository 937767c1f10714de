import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { pacedByJournal } from '../../src/replay/journal-pace.js';
import { Journal } from '../../src/services/journal/index.js';
import { everyEvent } from '../services/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tn-pace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function* count(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

it('a replay reads its session no faster than the journal writes: the queue stays near the bound', async () => {
  const journal = await Journal.open({ dir: join(dir, 'journal') });
  const placed = everyEvent('ACC-P')['order-placed'];
  let most = 0;
  try {
    // Each record makes 20 events, as a signal copied to 20 followers does; 1,000 records, 20,000 events.
    for await (const _ of pacedByJournal(count(1000), journal, 1000)) {
      for (let i = 0; i < 20; i++) journal.append(placed);
      most = Math.max(most, journal.pending);
    }
    await journal.flush();
  } finally {
    await journal.close();
  }
  // At most the bound plus one record's events are ever queued (20,000 without the brake).
  expect(most).toBeGreaterThan(1000);
  expect(most).toBeLessThanOrEqual(1020);
}, 120_000);

it('does not wait for a journal that is away: the replay goes on', async () => {
  let waited = 0;
  const away = {
    pending: 5000,
    lastSeq: 5000,
    degraded: true,
    whenDurable: () => {
      waited++;
      return new Promise<void>(() => {});
    },
  };
  const seen: number[] = [];
  for await (const n of pacedByJournal(count(10), away, 1000)) seen.push(n);
  expect(seen).toHaveLength(10);
  expect(waited).toBe(0);
});
