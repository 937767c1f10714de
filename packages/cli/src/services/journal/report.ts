import {
  defaultInstruments,
  type Execution,
  formatMoney,
  type Money,
  PositionTracker,
} from '@tradenova/core';
import type { Kysely } from 'kysely';
import type { JournalDatabase } from './schema.js';

/** One account's line of the report. Money is exact: mils as integers, and as decimal text. */
export interface AccountReport {
  accountId: string;
  follower: string;
  fills: number;
  contracts: number;
  /** Realized P&L of the window in mils: realized at `to` minus realized at `from`, from every fill before `to`. */
  realizedPnlMils: Money;
  realizedPnl: string;
  /** Net position per instrument at `to` (non-zero only). */
  positions: Record<string, number>;
  ordersPlaced: number;
  ordersRejected: number;
  ordersTimedOut: number;
  blocked: number;
  failed: number;
}

/** The whole report. */
export interface JournalReport {
  from: number;
  to: number;
  accounts: AccountReport[];
  /** Signals refused before any account was involved (malformed, unknown instrument). */
  signalsRejected: number;
  errors: { time: number; accountId: string | null; kind: string; code: string; message: string }[];
}

type Db = Kysely<JournalDatabase>;

/** Reads the journal into the report. */
export async function buildReport(
  db: Db,
  options: { from: number; to: number; account?: string[] },
): Promise<JournalReport> {
  const wanted = options.account && options.account.length > 0 ? new Set(options.account) : undefined;
  const match = (accountId: string | null, follower: string | null) =>
    !wanted || (accountId !== null && wanted.has(accountId)) || (follower !== null && wanted.has(follower));
  const lines = new Map<string, AccountReport>();
  const line = (accountId: string, follower: string): AccountReport => {
    let l = lines.get(accountId);
    if (!l) {
      l = {
        accountId,
        follower,
        fills: 0,
        contracts: 0,
        realizedPnlMils: 0,
        realizedPnl: '0.00',
        positions: {},
        ordersPlaced: 0,
        ordersRejected: 0,
        ordersTimedOut: 0,
        blocked: 0,
        failed: 0,
      };
      lines.set(accountId, l);
    }
    return l;
  };

  const executions = await db
    .selectFrom('executions')
    .select(['account_id', 'follower', 'payload', 'time'])
    .where('time', '<', options.to)
    .orderBy('time')
    .orderBy('execution_id')
    .execute();
  const tracker = new PositionTracker(defaultInstruments);
  const atFrom = new Map<string, Money>();
  for (const row of executions) {
    if (!match(row.account_id, row.follower)) continue;
    const time = Number(row.time);
    // The realized P&L just before the window opens, per account.
    if (time >= options.from && !atFrom.has(row.account_id))
      atFrom.set(row.account_id, tracker.pnl(row.account_id).realized);
    const execution = row.payload as Execution;
    tracker.applyExecution(execution, row.account_id);
    const l = line(row.account_id, row.follower);
    if (time >= options.from) {
      l.fills++;
      l.contracts += execution.qty;
    }
  }
  for (const l of lines.values()) {
    const realized = tracker.pnl(l.accountId).realized;
    l.realizedPnlMils = realized - (atFrom.get(l.accountId) ?? realized);
    l.realizedPnl = formatMoney(l.realizedPnlMils);
    for (const p of tracker.netPositions(l.accountId)) {
      if (p.netQty !== 0) l.positions[`${p.contract.root}${p.contract.month}${p.contract.year}`] = p.netQty;
    }
  }

  const orders = await db
    .selectFrom('orders')
    .select(['account_id', 'follower', 'status'])
    .where('time', '>=', options.from)
    .where('time', '<', options.to)
    .execute();
  for (const o of orders) {
    if (!match(o.account_id, o.follower)) continue;
    const l = line(o.account_id, o.follower);
    if (o.status === 'placed') l.ordersPlaced++;
    else if (o.status === 'rejected') l.ordersRejected++;
    else if (o.status === 'timed-out') l.ordersTimedOut++;
  }

  const errors = await db
    .selectFrom('errors')
    .select(['account_id', 'follower', 'kind', 'code', 'message', 'time'])
    .where('time', '>=', options.from)
    .where('time', '<', options.to)
    .orderBy('time')
    .execute();
  let signalsRejected = 0;
  const listed: JournalReport['errors'] = [];
  for (const e of errors) {
    if (e.account_id === null) {
      if (!wanted) {
        signalsRejected++;
        listed.push({
          time: Number(e.time),
          accountId: null,
          kind: e.kind,
          code: e.code,
          message: e.message,
        });
      }
      continue;
    }
    if (!match(e.account_id, e.follower)) continue;
    const l = line(e.account_id, e.follower ?? '');
    if (e.kind === 'order-blocked') l.blocked++;
    else l.failed++;
    listed.push({
      time: Number(e.time),
      accountId: e.account_id,
      kind: e.kind,
      code: e.code,
      message: e.message,
    });
  }
  const accounts = [...lines.values()].sort((a, b) => a.accountId.localeCompare(b.accountId));
  return { from: options.from, to: options.to, accounts, signalsRejected, errors: listed };
}
