import { formatMoney } from '@tradenova/core';
import { Box, Text } from 'ink';
import { HELP, HELP_SHORT } from './keys.js';
import {
  type AccountRow,
  type BrokerHealth,
  type Confirm,
  type DashboardState,
  type LeaderEntry,
  type LogEntry,
  latencyPercentile,
  sessionPnl,
} from './state.js';

/** Colours on or off (`NO_COLOR`); every component takes it, none reads the environment. */
export interface Theme {
  color: boolean;
}

function tint(theme: Theme, color: string | undefined): { color?: string } {
  return theme.color && color ? { color } : {};
}

function pad(text: string, width: number, right = false): string {
  const t = text.length > width ? `${text.slice(0, width - 1)}…` : text;
  return right ? t.padStart(width) : t.padEnd(width);
}

function money(mils: number): string {
  const text = formatMoney(mils);
  return mils > 0 ? `+${text}` : text;
}

function clock(time: number, compact = false): string {
  const d = new Date(time);
  const two = (n: number) => String(n).padStart(2, '0');
  const seconds = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return compact ? seconds : `${seconds}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** Below this many columns the dashboard uses its compact layout. */
export const COMPACT_BELOW = 100;

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

const STATE_COLOR: Record<string, string> = {
  connected: 'green',
  connecting: 'yellow',
  reconnecting: 'yellow',
  disconnected: 'red',
};

/** A piece of the header; pieces are packed into as few lines as the width allows. */
interface Segment {
  text: string;
  bold?: boolean;
  color?: string | undefined;
}

/** Greedy packing: each line holds whole segments (two spaces apart) and fits `width`. */
export function packSegments(segments: readonly Segment[][], width: number): Segment[][][] {
  const lines: Segment[][][] = [];
  let line: Segment[][] = [];
  let used = 0;
  for (const group of segments) {
    const len = group.reduce((n, g) => n + g.text.length, 0);
    if (line.length > 0 && used + 2 + len > width) {
      lines.push(line);
      line = [];
      used = 0;
    }
    used += (line.length > 0 ? 2 : 0) + len;
    line.push(group);
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

function headerSegments(state: DashboardState): Segment[][] {
  const pnl = sessionPnl(state);
  const p50 = latencyPercentile(state.latency, 50);
  const p99 = latencyPercentile(state.latency, 99);
  const c = state.counts;
  return [
    [{ text: 'TradeNova', bold: true }],
    [
      { text: 'session P&L ' },
      { text: money(pnl), bold: true, color: pnl > 0 ? 'green' : pnl < 0 ? 'red' : undefined },
    ],
    [
      {
        text: `copy latency p50 ${p50 === undefined ? '—' : `${p50} ms`} p99 ${p99 === undefined ? '—' : `${p99} ms`}`,
      },
    ],
    [{ text: `signals ${c.signals}  placed ${c.placed}  filled ${c.filled}` }],
    [{ text: `rejected ${c.rejected}  blocked ${c.blocked}  timed out ${c.timedOut}` }],
  ];
}

/** How many lines the header takes at this width (the summary lines and the broker health). */
export function headerHeight(state: DashboardState, columns: number): number {
  return packSegments(headerSegments(state), usable(columns)).length + 1;
}

/**
 * What a line may hold: one column less than the terminal, because a terminal that receives a
 * character in its last column wraps on the next write and pushes the header off the top.
 */
function usable(columns: number): number {
  return Math.max(20, columns - 1);
}

/** Session P&L, copy latency percentiles, counts and one health item per broker connection. */
export function Header({
  state,
  theme,
  columns = 101,
}: {
  state: DashboardState;
  theme: Theme;
  columns?: number;
}) {
  const lines = packSegments(headerSegments(state), usable(columns));
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={String(i)} wrap="truncate">
          {line.map((group, j) => (
            <Text key={String(j)}>
              {j > 0 ? '  ' : ''}
              {group.map((g, k) => (
                <Text key={String(k)} bold={g.bold ?? false} {...tint(theme, g.color)}>
                  {g.text}
                </Text>
              ))}
            </Text>
          ))}
        </Text>
      ))}
      <HealthLine brokers={state.brokers} theme={theme} />
    </Box>
  );
}

/** One item per broker: how many of its connections are up, the worst state, and the slowest round trip. */
export function HealthLine({
  brokers,
  theme,
}: {
  brokers: Readonly<Record<string, BrokerHealth>>;
  theme: Theme;
}) {
  const byBroker = new Map<string, BrokerHealth[]>();
  for (const h of Object.values(brokers)) byBroker.set(h.broker, [...(byBroker.get(h.broker) ?? []), h]);
  const rank = ['connected', 'connecting', 'reconnecting', 'disconnected'];
  return (
    <Text wrap="truncate">
      {'brokers '}
      {[...byBroker].map(([broker, list], i) => {
        const up = list.filter((h) => h.state === 'connected').length;
        const worst = list.reduce(
          (w, h) => (rank.indexOf(h.state) > rank.indexOf(w) ? h.state : w),
          'connected',
        );
        const rtts = list.flatMap((h) => (h.latencyMs === undefined ? [] : [h.latencyMs]));
        const reason = list.find((h) => h.reason)?.reason;
        const tripped = list.filter((h) => h.breaker !== undefined && h.breaker !== 'closed').length;
        return (
          <Text key={broker}>
            {i > 0 ? '   ' : ''}
            {`${broker} `}
            <Text {...tint(theme, STATE_COLOR[worst])}>
              {worst === 'connected' ? '● ' : '○ '}
              {`${up}/${list.length} ${worst === 'connected' ? 'connected' : worst}`}
            </Text>
            {rtts.length ? ` rtt ≤${Math.round(Math.max(...rtts))} ms` : ''}
            {tripped ? ` breaker open on ${tripped}` : ''}
            {reason ? ` (${reason})` : ''}
          </Text>
        );
      })}
    </Text>
  );
}

/**
 * The accounts table's columns: name, width, and the order in which they are dropped when the
 * terminal is narrow (a higher `drop` goes first; 0 never goes). The follower and position
 * columns take what is left over, up to a limit; names longer than their cell end in "…".
 */
interface Column {
  name: string;
  width: number;
  drop: number;
  right?: boolean;
  /** Grows into spare width, up to this. */
  grow?: number;
}

const COLUMNS: readonly Column[] = [
  { name: '', width: 1, drop: 0 },
  { name: 'follower', width: 12, drop: 0, grow: 28 },
  { name: 'broker', width: 9, drop: 3 },
  { name: 'conn', width: 5, drop: 4 },
  { name: 'status', width: 8, drop: 0 },
  { name: 'position', width: 12, drop: 0, grow: 28 },
  { name: 'realized', width: 9, drop: 0, right: true },
  { name: 'open P&L', width: 9, drop: 2, right: true },
  { name: 'ms', width: 5, drop: 6, right: true },
  { name: 'drift', width: 10, drop: 5 },
];

/** The columns that fit `columns`, with their widths (one space between cells). */
export function tableLayout(columns: number): { index: number; column: Column; width: number }[] {
  const room = usable(columns);
  let kept = COLUMNS.map((column, index) => ({ index, column, width: column.width }));
  const total = () => kept.reduce((n, k) => n + k.width, 0) + kept.length - 1;
  while (total() > room) {
    const worst = kept.reduce((w, k) => (k.column.drop > w.column.drop ? k : w));
    if (worst.column.drop === 0) break;
    kept = kept.filter((k) => k !== worst);
  }
  // Spare width goes to the growing columns, in turns, so a long name shows more of itself.
  let spare = room - total();
  while (spare > 0) {
    const growing = kept.filter((k) => k.column.grow !== undefined && k.width < k.column.grow);
    if (growing.length === 0) break;
    for (const k of growing) {
      if (spare === 0) break;
      k.width++;
      spare--;
    }
  }
  return kept;
}

/** Connection state in a word that fits the column. */
const CONN_WORD: Record<string, string> = {
  connected: 'up',
  connecting: 'conn',
  reconnecting: 'retry',
  disconnected: 'down',
};

function positionText(positions: Record<string, number>): string {
  const parts = Object.entries(positions).map(([k, q]) => `${k}${signed(q)}`);
  return parts.length ? parts.join(' ') : 'flat';
}

/** The accounts table, scrolled so the selected row is always shown. */
export function AccountsTable({
  accounts,
  selected,
  brokers,
  maxRows,
  theme,
  columns = 101,
}: {
  accounts: readonly AccountRow[];
  selected: number;
  brokers: Readonly<Record<string, BrokerHealth>>;
  maxRows: number;
  theme: Theme;
  columns?: number;
}) {
  const rows = Math.max(1, maxRows);
  const first = Math.min(Math.max(0, selected - rows + 1), Math.max(0, accounts.length - rows));
  const shown = accounts.slice(first, first + rows);
  const layout = tableLayout(columns);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {layout.map((k) => pad(k.column.name, k.width, k.column.right)).join(' ')}
      </Text>
      {shown.map((a, i) => {
        const index = first + i;
        const conn = CONN_WORD[brokers[a.connection]?.state ?? ''] ?? '—';
        const drift = Object.entries(a.drift)
          .map(([k, d]) => `${k}${signed(d)}`)
          .join(' ');
        const status = a.status === 'locked-out' ? 'locked' : a.status;
        const cells = [
          index === selected ? '›' : ' ',
          a.follower,
          a.broker,
          conn,
          status,
          positionText(a.positions),
          money(a.realized),
          money(a.unrealized),
          a.lastLatencyMs === undefined ? '—' : String(a.lastLatencyMs),
          drift || '0',
        ];
        const statusColor = status === 'enabled' ? undefined : status === 'paused' ? 'yellow' : 'red';
        return (
          <Text key={a.follower} inverse={index === selected} wrap="truncate">
            {layout.map((k, j) => {
              const text = `${j > 0 ? ' ' : ''}${pad(cells[k.index] ?? '', k.width, k.column.right)}`;
              return k.column.name === 'status' ? (
                <Text key={k.column.name} {...tint(theme, statusColor)}>
                  {text}
                </Text>
              ) : (
                text
              );
            })}
          </Text>
        );
      })}
      {accounts.length > shown.length ? (
        <Text dimColor>{`  ${first + 1}–${first + shown.length} of ${accounts.length}`}</Text>
      ) : null}
    </Box>
  );
}

/** The leader's recent orders and fills, newest last. */
export function LeaderPanel({
  entries,
  rows,
  theme,
  compact = false,
  width,
}: {
  entries: readonly LeaderEntry[];
  rows: number;
  theme: Theme;
  compact?: boolean;
  /** Columns, whole (a percentage rounds, and one column too many wraps every line). */
  width: number;
}) {
  const shown = entries.slice(Math.max(0, entries.length - rows));
  return (
    <Box flexDirection="column" width={width} marginRight={1}>
      <Text bold>leader</Text>
      {shown.length === 0 ? (
        <Text dimColor wrap="truncate">
          waiting for the leader's first order…
        </Text>
      ) : null}
      {shown.map((e) => (
        <Text key={e.id} wrap="truncate">
          <Text dimColor>{clock(e.time, compact)}</Text>{' '}
          <Text {...tint(theme, e.kind === 'fill' ? 'green' : e.kind === 'cancel' ? 'yellow' : 'cyan')}>
            {pad(e.kind, 7)}
          </Text>
          {e.text}
        </Text>
      ))}
    </Box>
  );
}

const KIND_COLOR: Record<string, string> = {
  filled: 'green',
  placed: 'cyan',
  rejected: 'red',
  failed: 'red',
  blocked: 'magenta',
  'timed-out': 'yellow',
  drift: 'yellow',
};

/** The last follower events, newest last (the log keeps 500; as many as fit are shown). */
export function OrderLog({
  entries,
  rows,
  theme,
  compact = false,
  width,
}: {
  entries: readonly LogEntry[];
  rows: number;
  theme: Theme;
  compact?: boolean;
  width: number;
}) {
  const shown = entries.slice(Math.max(0, entries.length - rows));
  return (
    // The rest of the row, counted in whole columns: 40% + the leader panel's margin + 60% is one
    // column too wide, and a terminal wraps the last character of every line onto a line of its own.
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">{`follower orders (last ${entries.length})`}</Text>
      {shown.map((e) => (
        <Text key={e.id} wrap="truncate">
          <Text dimColor>{clock(e.time, compact)}</Text> {pad(e.follower, compact ? 12 : 20)}{' '}
          <Text {...tint(theme, KIND_COLOR[e.kind])}>{pad(e.kind, 10)}</Text>
          {e.text}
        </Text>
      ))}
    </Box>
  );
}

function question(confirm: Confirm): string {
  switch (confirm.kind) {
    case 'flatten':
      return `Flatten ${confirm.follower}: cancel its orders and close its positions? (y/n)`;
    case 'flatten-all':
      return 'Flatten ALL accounts: cancel every order and close every position? (y/n)';
    case 'align':
      return `Drift on ${confirm.followers.length} account(s): ${confirm.followers.join(', ')}. Order them back in line with the leader? (y/n)`;
  }
}

/** The bottom line: an open question, else a notice, else the keys. */
export function HelpLine({
  confirm,
  notice,
  theme,
  compact = false,
}: {
  confirm?: Confirm;
  notice?: string;
  theme: Theme;
  compact?: boolean;
}) {
  if (confirm) {
    return (
      <Text bold wrap="truncate" {...tint(theme, 'yellow')}>
        {question(confirm)}
      </Text>
    );
  }
  return (
    <Box flexDirection="column">
      {notice ? (
        <Text wrap="truncate" {...tint(theme, 'cyan')}>
          {notice}
        </Text>
      ) : null}
      <Text dimColor wrap="truncate">
        {compact ? HELP_SHORT : HELP}
      </Text>
    </Box>
  );
}

/**
 * How many rows the accounts table and the panels get: the screen must never be taller than
 * the terminal less one row, or the terminal scrolls and the header is cut off.
 */
export function rowBudget(
  state: DashboardState,
  rows: number,
  columns: number,
): { tableRows: number; logRows: number } {
  const help = state.confirm ? 1 : state.notice ? 2 : 1;
  // header + margin + table title + margin + panel titles + help, and one row spare.
  const fixed = headerHeight(state, columns) + 1 + 1 + 1 + 1 + help + 1;
  const free = Math.max(2, rows - fixed);
  // The table gets about 55%, plus a line "1–10 of 20" when it cannot show every account.
  const tableRows = Math.min(state.accounts.length, Math.max(1, Math.floor(free * 0.55)));
  const scroller = state.accounts.length > tableRows ? 1 : 0;
  const logRows = Math.max(1, free - tableRows - scroller);
  return { tableRows, logRows };
}

/** The whole screen, from state alone. */
export function Dashboard({
  state,
  rows,
  columns = 101,
  theme,
}: {
  state: DashboardState;
  /** Terminal height. */
  rows: number;
  /** Terminal width (101: ink-testing-library's 100-column frame plus the spare column). */
  columns?: number;
  theme: Theme;
}) {
  const { tableRows, logRows } = rowBudget(state, rows, columns);
  const compact = columns < COMPACT_BELOW;
  const leaderWidth = Math.floor(usable(columns) * 0.4);
  return (
    <Box flexDirection="column" width={usable(columns)}>
      <Header state={state} theme={theme} columns={columns} />
      <Box marginTop={1}>
        <AccountsTable
          accounts={state.accounts}
          selected={state.selected}
          brokers={state.brokers}
          maxRows={tableRows}
          theme={theme}
          columns={columns}
        />
      </Box>
      <Box marginTop={1}>
        <LeaderPanel
          entries={state.leader}
          rows={logRows}
          theme={theme}
          compact={compact}
          width={leaderWidth}
        />
        <OrderLog
          entries={state.log}
          rows={logRows}
          theme={theme}
          compact={compact}
          width={usable(columns) - leaderWidth - 1}
        />
      </Box>
      <HelpLine
        {...(state.confirm ? { confirm: state.confirm } : {})}
        {...(state.notice ? { notice: state.notice } : {})}
        theme={theme}
        compact={compact}
      />
    </Box>
  );
}
