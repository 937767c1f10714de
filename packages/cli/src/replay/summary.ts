import type { ReplayReport } from '@tradenova/core';

/** The readable summary of a replay report, for a person at a terminal. */
export function formatSummary(report: ReplayReport, source: string): string {
  const out: string[] = [];
  const { input } = report;
  out.push(
    `TradeNova replay of ${source}: ${input.records} records (${input.signals} signals, ${input.quotes} quotes, ${input.trades} trades)`,
  );
  const leaderPos =
    report.leader.positions.length === 0
      ? 'flat'
      : report.leader.positions.map((p) => `${signed(p.netQty)} ${p.contract}`).join(', ');
  out.push(`Leader ${report.leader.name} (${report.leader.account}): ${leaderPos}`);
  out.push('');
  const rows: string[][] = [
    [
      'account',
      'broker',
      'placed',
      'filled',
      'blocked',
      'rejected',
      'position',
      'realized',
      'unrealized',
      'drift',
    ],
  ];
  for (const a of report.accounts) {
    const open = a.positions.filter((p) => p.netQty !== 0);
    rows.push([
      a.name,
      a.broker,
      String(a.orders.placed),
      String(a.orders.filled),
      String(
        a.orders.blocked + a.orders.skipped > 0
          ? `${a.orders.blocked}${a.orders.skipped ? `+${a.orders.skipped}s` : ''}`
          : 0,
      ),
      String(a.orders.rejected + a.orders.timedOut),
      open.length === 0 ? 'flat' : open.map((p) => `${signed(p.netQty)} ${p.contract}`).join(' '),
      a.realizedPnl,
      a.unrealizedPnl,
      a.drift.length === 0
        ? '-'
        : a.drift.map((d) => `${d.contract} ${signed(d.follower - d.leader)}`).join(' '),
    ]);
  }
  out.push(...table(rows));
  out.push('');
  const l = report.latency;
  out.push(
    `Copy latency (${l.clock} clock, ${l.count} orders): p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms`,
  );
  const blocked = report.accounts.flatMap((a) => a.blocked.map((b) => ({ account: a.name, ...b })));
  if (blocked.length === 0) out.push('Risk: no order blocked');
  else {
    out.push(`Risk: ${blocked.length} order(s) blocked`);
    for (const b of blocked.slice(0, 20))
      out.push(`  ${b.account}  ${b.signalId}  ${b.reason}: ${b.message}`);
    if (blocked.length > 20) out.push(`  … ${blocked.length - 20} more in the JSON report (--json)`);
  }
  const skipped = report.accounts.reduce((n, a) => n + a.orders.skipped, 0);
  if (skipped > 0)
    out.push(`Sizing: ${skipped} order(s) not copied because they scaled to 0 (marked "s" above)`);
  const errors = report.signals.errors;
  if (errors.length === 0) out.push(`Signals: ${report.signals.count} read, none bad`);
  else {
    out.push(`Signals: ${report.signals.count} read, ${errors.length} bad (not copied):`);
    for (const e of errors.slice(0, 20)) out.push(`  line ${e.line}: ${e.field}: ${e.message}`);
    if (errors.length > 20) out.push(`  … ${errors.length - 20} more in the JSON report (--json)`);
  }
  return `${out.join('\n')}\n`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c >= 2 && c !== 6 && c !== 9 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}
