import { writeFileSync } from 'node:fs';
import {
  defaultInstruments,
  type Execution,
  formatMoney,
  type Money,
  PositionTracker,
} from '@tradenova/core';
import { CliError, ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { pendingMigrations } from '../services/journal/migrations.js';
import { openCommandJournal } from '../services/journal/open-for-command.js';

/** Flags of `tradenova report`. */
export interface ReportCommandOptions {
  from: number;
  to: number;
  account?: string[];
  csv?: string;
  json?: boolean;
  config?: string;
  journal?: string;
}

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

/**
 * `tradenova report --from --to`: per account, the fills and contracts, the realized P&L
 * of the window, the positions at its end, and the orders that were rejected, timed out,
 * blocked or failed, read from the journal. P&L is recomputed from the fills with core's
 * position tracker (integer ticks and mils), not summed from floats, and a position open
 * at `from` is accounted for because every fill before `to` is replayed.
 */
export async function reportCommand(options: ReportCommandOptions, io: CommandIo): Promise<number> {
  if (!(options.from < options.to)) throw new CliError('--from must be before --to');
  const journal = await openCommandJournal(options);
  let report: JournalReport;
  try {
    const pending = await pendingMigrations(journal.db, journal.schema);
    if (pending.length > 0)
      throw new CliError(`journal at ${journal.where} needs migrations; run: tradenova migrate`);
    report = await buildReport(journal.db, options);
  } finally {
    await journal.close();
  }
  if (options.csv) writeFileSync(options.csv, toCsv(report.accounts));
  if (options.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(formatReport(report));
  return ExitCode.Ok;
}

type Db = Awaited<ReturnType<typeof openCommandJournal>>['db'];

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

const COLUMNS = [
  'account',
  'follower',
  'fills',
  'contracts',
  'realized_pnl',
  'orders_placed',
  'orders_rejected',
  'orders_timed_out',
  'blocked',
  'failed',
  'positions',
] as const;

/** The per-account table as CSV (RFC 4180 quoting). */
export function toCsv(accounts: readonly AccountReport[]): string {
  const quote = (v: string | number) => {
    const text = String(v);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const rows = accounts.map((a) =>
    [
      a.accountId,
      a.follower,
      a.fills,
      a.contracts,
      a.realizedPnl,
      a.ordersPlaced,
      a.ordersRejected,
      a.ordersTimedOut,
      a.blocked,
      a.failed,
      Object.entries(a.positions)
        .map(([k, v]) => `${k}:${v}`)
        .join(' '),
    ]
      .map(quote)
      .join(','),
  );
  return `${[COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}

function formatReport(report: JournalReport): string {
  const out: string[] = [
    `Journal report ${new Date(report.from).toISOString()} → ${new Date(report.to).toISOString()}`,
  ];
  if (report.accounts.length === 0) out.push('  no activity');
  for (const a of report.accounts) {
    const problems = [
      a.ordersRejected ? `${a.ordersRejected} rejected` : '',
      a.ordersTimedOut ? `${a.ordersTimedOut} timed out` : '',
      a.blocked ? `${a.blocked} blocked` : '',
      a.failed ? `${a.failed} failed` : '',
    ].filter(Boolean);
    out.push(
      `  ${a.accountId.padEnd(16)} ${a.follower.padEnd(24)} ${String(a.fills).padStart(5)} fills ${String(a.contracts).padStart(6)} contracts  P&L ${a.realizedPnl.padStart(12)}${problems.length ? `  ${problems.join(', ')}` : ''}`,
    );
  }
  if (report.signalsRejected > 0)
    out.push(`  ${report.signalsRejected} signal(s) rejected before reaching any account`);
  return `${out.join('\n')}\n`;
}
