import { waitFor } from '@tradenova/core/testing';
import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import {
  JOURNAL_TABLES,
  Journal,
  type JournalStatus,
  type OpenJournalOptions,
} from '../../../src/services/journal/index.js';
import { everyEvent, everyEventList, sampleIntent } from '../fixtures.js';

/** The same tests for every driver: `location()` gives a fresh, empty journal location each call. */
export function journalSuite(location: () => Promise<OpenJournalOptions>): void {
  const open: Journal[] = [];
  async function openJournal(
    options: Partial<OpenJournalOptions> = {},
    at?: OpenJournalOptions,
  ): Promise<Journal> {
    const journal = await Journal.open({
      ...(at ?? (await location())),
      migrate: true,
      ...options,
    } as OpenJournalOptions);
    open.push(journal);
    return journal;
  }
  afterEach(async () => {
    for (const journal of open.splice(0)) await journal.close().catch(() => {});
  });

  it('creates every table and is at the latest migration', async () => {
    const journal = await openJournal();
    for (const table of JOURNAL_TABLES) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(
        journal.db,
      );
      expect(rows[0]?.n, table).toBe(0);
    }
  });

  it('writes every event type to its table, once flushed', async () => {
    const journal = await openJournal();
    const events = everyEvent('ACC-1');
    for (const event of Object.values(events)) journal.append(event);
    // Nothing is written on append: the hot path only queues.
    expect(journal.pending).toBe(Object.keys(events).length);
    await journal.flush();
    expect(journal.pending).toBe(0);
    const db = journal.db;
    const signal = await db.selectFrom('signals').selectAll().executeTakeFirstOrThrow();
    expect(signal).toMatchObject({
      signal_id: 'sig-1',
      action: 'new',
      instrument: 'MNQZ25',
      leader_account: 'LEADER1',
    });
    expect(Number(signal.completed_at)).toBe(events['signal-completed'].time);
    expect(signal.outcomes).toEqual(events['signal-completed'].outcomes);
    const intent = await db.selectFrom('intents').selectAll().executeTakeFirstOrThrow();
    expect(intent).toMatchObject({
      intent_id: 'tn-sig-1-ACC-1',
      account_id: 'ACC-1',
      instrument: 'MNQZ25',
      qty: 1,
    });
    expect(intent.payload).toEqual(events['intent-created'].intent);
    const orders = await db
      .selectFrom('orders')
      .select(['status', 'order_id', 'code'])
      .orderBy('id')
      .execute();
    expect(orders.map((o) => o.status)).toEqual([
      'placed',
      'modified',
      'cancelled',
      'rejected',
      'timed-out',
      'reconciled-placed',
      'flattened',
    ]);
    const fill = await db.selectFrom('executions').selectAll().executeTakeFirstOrThrow();
    expect(fill).toMatchObject({ execution_id: 'x-ACC-1-1', side: 'buy', qty: 1, instrument: 'MNQZ25' });
    expect(Number(fill.price_ticks)).toBe(84_001);
    const position = await db.selectFrom('positions').selectAll().executeTakeFirstOrThrow();
    expect(position).toMatchObject({ net_qty: 1, account_id: 'ACC-1' });
    expect(Number(position.unrealized_pnl)).toBe(1500);
    expect(Number(position.avg_price)).toBe(21000.25);
    const statuses = await db.selectFrom('account_status').select(['kind', 'status']).orderBy('id').execute();
    expect(statuses).toEqual([
      { kind: 'recovery', status: 'pending' },
      { kind: 'broker-pnl', status: 'reported' },
      { kind: 'reconcile', status: 'alert' },
      { kind: 'account', status: 'paused' },
      { kind: 'connection', status: 'connected' },
      { kind: 'breaker', status: 'open' },
      { kind: 'service', status: 'degraded' },
    ]);
    const errors = await db.selectFrom('errors').select(['kind', 'code', 'field']).orderBy('id').execute();
    expect(errors.map((e) => e.kind).sort()).toEqual(['order-blocked', 'order-failed', 'signal-rejected']);
  });

  it('batches: many appends, few transactions, and a replayed fill or intent is stored once', async () => {
    const journal = await openJournal({ lingerMs: 5 });
    for (let i = 0; i < 5000; i++) {
      journal.append({ type: 'intent-created', time: i, intent: sampleIntent(`ACC-${i % 50}`, `s-${i}`) });
    }
    // An append only queues (copy latency never waits on the database): nothing was written in
    // the caller's turn, whatever the number of appends. (How fast it is, the benchmarks say.)
    expect(journal.batches).toBe(0);
    const fill = everyEvent('ACC-1')['order-filled'];
    journal.append(fill);
    journal.append(fill);
    journal.append({ type: 'intent-created', time: 0, intent: sampleIntent('ACC-0', 's-0') });
    await journal.flush();
    expect(journal.batches).toBeLessThan(20);
    const counted = await journal.db
      .selectFrom('intents')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(counted.n)).toBe(5000);
    const fills = await journal.db.selectFrom('executions').select('execution_id').execute();
    expect(fills).toHaveLength(1);
  });

  it('keeps records through a database outage and writes them when it is back', async () => {
    const statuses: JournalStatus[] = [];
    const journal = await openJournal({
      lingerMs: 1,
      minRetryMs: 20,
      maxRetryMs: 50,
      onStatus: (s) => statuses.push(s),
    });
    // The outage: the table the next batch needs is gone for a while.
    await sql`alter table orders rename to orders_away`.execute(journal.db);
    const events = everyEventList('ACC-9');
    let last = 0;
    for (const event of events) last = journal.append(event);
    await expect(journal.flush()).rejects.toThrow(/orders/);
    expect(journal.pending).toBe(events.length);
    expect(statuses[0]).toMatchObject({ state: 'degraded', pending: events.length });
    let durable = false;
    const waiting = journal.whenDurable(last).then(() => {
      durable = true;
    });
    // Two more retries fail while the table is away, and the records are still not durable.
    const failed = statuses.length;
    await waitFor(() => statuses.length >= failed + 2, { message: 'two failed retries' });
    expect(statuses.every((s) => s.state === 'degraded')).toBe(true);
    expect(durable).toBe(false);
    await sql`alter table orders_away rename to orders`.execute(journal.db);
    await waiting;
    expect(statuses.at(-1)).toEqual({ state: 'ok' });
    expect(journal.pending).toBe(0);
    const orders = await journal.db.selectFrom('orders').select('status').execute();
    expect(orders).toHaveLength(7);
  });

  it('has what was flushed after it is closed and opened again', async () => {
    const at = await location();
    const first = await openJournal({}, at);
    const seq = first.append(everyEvent('ACC-3')['intent-created']);
    await first.whenDurable(seq);
    await first.close();
    const again = await openJournal({}, at);
    const rows = await again.db.selectFrom('intents').select('account_id').execute();
    expect(rows).toEqual([{ account_id: 'ACC-3' }]);
  });
}
