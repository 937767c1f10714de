import { writeFileSync } from 'node:fs';
import { CliError, ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { pendingMigrations } from '../services/journal/migrations.js';
import { openCommandJournal } from '../services/journal/open-for-command.js';
import { type AccountReport, buildReport, type JournalReport } from '../services/journal/report.js';

// The report is computed in services/journal/report.ts, so the control API serves the same one.
export { type AccountReport, buildReport, type JournalReport } from '../services/journal/report.js';

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
