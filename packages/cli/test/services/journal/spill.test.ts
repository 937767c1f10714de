import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { Journal, recoverSpills, spillEvents } from '../../../src/services/journal/index.js';
import { everyEvent } from '../fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tn-spill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('records the database did not take at shutdown go to a spill file and are written by the next open', async () => {
  const db = join(dir, 'journal');
  const spillDir = join(dir, 'spill');
  const first = await Journal.open({ dir: db, minRetryMs: 10, maxRetryMs: 20 });
  // The database "goes away" for the table these events need.
  await sql`alter table orders rename to orders_away`.execute(first.db);
  const events = everyEvent('ACC-S');
  first.append(events['order-placed']);
  first.append(events['order-rejected']);
  // The rename is undone on the same data directory after the close, as a database coming back.
  const left = await first.closeWithin(200);
  expect(left.map((e) => e.type)).toEqual(['order-placed', 'order-rejected']);
  const file = await spillEvents(spillDir, left);
  expect(file).toBeDefined();

  const second = await Journal.open({ dir: db });
  await sql`alter table orders_away rename to orders`.execute(second.db);
  expect(await recoverSpills(spillDir, second)).toBe(2);
  const rows = await second.db.selectFrom('orders').select(['status', 'account_id']).orderBy('id').execute();
  expect(rows).toEqual([
    { status: 'placed', account_id: 'ACC-S' },
    { status: 'rejected', account_id: 'ACC-S' },
  ]);
  // Written, so the file is gone and a third open writes nothing twice.
  expect(readdirSync(spillDir)).toEqual([]);
  expect(await recoverSpills(spillDir, second)).toBe(0);
  await second.close();
}, 60_000);
