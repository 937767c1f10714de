import { formatMoney } from '@tradenova/core';
import { Box, Text } from 'ink';
import { HELP } from './keys.js';
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

function clock(time: number): string {
  const d = new Date(time);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

const STATE_COLOR: Record<string, string> = {
  connected: 'green',
  connecting: 'yellow',
  reconnecting: 'yellow',
  disconnected: 'red',
};

/** Session P&L, copy latency percentiles, counts and one health item per broker connection. */
export function Header({ state, theme }: { state: DashboardState; theme: Theme }) {
  const pnl = sessionPnl(state);
  const p50 = latencyPercentile(state.latency, 50);
  const p99 = latencyPercentile(state.latency, 99);
  const c = state.counts;
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>TradeNova</Text>
        {'  session P&L '}
        <Text bold {...tint(theme, pnl > 0 ? 'green' : pnl < 0 ? 'red' : undefined)}>
          {money(pnl)}
        </Text>
        {`  copy latency p50 ${p50 === undefined ? '—' : `${p50} ms`} p99 ${p99 === undefined ? '—' : `${p99} ms`}`}
        {`  signals ${c.signals}  placed ${c.placed}  filled ${c.filled}  rejected ${c.rejected}  blocked ${c.blocked}  timed out ${c.timedOut}`}
      </Text>
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

// Fits 100 columns: the width of a default terminal and of ink-testing-library's frame.
const COLUMNS = [
  ['', 1],
  ['follower', 18],
  ['broker', 9],
  ['conn', 5],
  ['status', 8],
  ['position', 16],
  ['realized', 9],
  ['open P&L', 9],
  ['ms', 5],
  ['drift', 10],
] as const;

/** Connection state in a word that fits the column. */
const CONN_WORD: Record<string, string> = {
  connected: 'up',
  connecting: 'conn',
  reconnecting: 'retry',
  disconnected: 'down',
};

/** Numeric columns (realized, unrealized, copy ms) are right-aligned. */
const RIGHT = (i: number) => i >= 6 && i <= 8;

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
}: {
  accounts: readonly AccountRow[];
  selected: number;
  brokers: Readonly<Record<string, BrokerHealth>>;
  maxRows: number;
  theme: Theme;
}) {
  const rows = Math.max(1, maxRows);
  const first = Math.min(Math.max(0, selected - rows + 1), Math.max(0, accounts.length - rows));
  const shown = accounts.slice(first, first + rows);
  return (
    <Box flexDirection="column">
      <Text bold>{COLUMNS.map(([name, w], i) => pad(name, w, RIGHT(i))).join(' ')}</Text>
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
          <Text key={a.follower} inverse={index === selected}>
            {cells
              .slice(0, 4)
              .map((c, j) => `${pad(c, COLUMNS[j]![1])} `)
              .join('')}
            <Text {...tint(theme, statusColor)}>{pad(status, 8)}</Text>{' '}
            {cells
              .slice(5)
              .map((c, j) => pad(c, COLUMNS[j + 5]![1], RIGHT(j + 5)))
              .join(' ')}
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
}: {
  entries: readonly LeaderEntry[];
  rows: number;
  theme: Theme;
}) {
  const shown = entries.slice(Math.max(0, entries.length - rows));
  return (
    <Box flexDirection="column" width="40%" marginRight={1}>
      <Text bold>leader</Text>
      {shown.length === 0 ? <Text dimColor>waiting for the leader's first order…</Text> : null}
      {shown.map((e) => (
        <Text key={e.id} wrap="truncate">
          <Text dimColor>{clock(e.time)}</Text>{' '}
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
}: {
  entries: readonly LogEntry[];
  rows: number;
  theme: Theme;
}) {
  const shown = entries.slice(Math.max(0, entries.length - rows));
  return (
    // The rest of the row, not 60%: 40% + the leader panel's margin + 60% is one column too
    // wide, and a terminal wraps the last character of every line onto a line of its own.
    <Box flexDirection="column" flexGrow={1} flexBasis={0}>
      <Text bold>{`follower orders (last ${entries.length})`}</Text>
      {shown.map((e) => (
        <Text key={e.id} wrap="truncate">
          <Text dimColor>{clock(e.time)}</Text> {pad(e.follower, 20)}{' '}
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
export function HelpLine({ confirm, notice, theme }: { confirm?: Confirm; notice?: string; theme: Theme }) {
  if (confirm) {
    return (
      <Text bold {...tint(theme, 'yellow')}>
        {question(confirm)}
      </Text>
    );
  }
  return (
    <Box flexDirection="column">
      {notice ? <Text {...tint(theme, 'cyan')}>{notice}</Text> : null}
      <Text dimColor>{HELP}</Text>
    </Box>
  );
}

/** The whole screen, from state alone. */
export function Dashboard({
  state,
  rows,
  theme,
}: {
  state: DashboardState;
  /** Terminal height. */
  rows: number;
  theme: Theme;
}) {
  // Header 2 + table header 1 + panels' titles 1 + help 2 + margins 2.
  const free = Math.max(6, rows - 8);
  const tableRows = Math.min(state.accounts.length, Math.max(3, Math.floor(free * 0.55)));
  const logRows = Math.max(2, free - tableRows - 1);
  return (
    <Box flexDirection="column">
      <Header state={state} theme={theme} />
      <Box marginTop={1}>
        <AccountsTable
          accounts={state.accounts}
          selected={state.selected}
          brokers={state.brokers}
          maxRows={tableRows}
          theme={theme}
        />
      </Box>
      <Box marginTop={1}>
        <LeaderPanel entries={state.leader} rows={logRows} theme={theme} />
        <OrderLog entries={state.log} rows={logRows} theme={theme} />
      </Box>
      <HelpLine
        {...(state.confirm ? { confirm: state.confirm } : {})}
        {...(state.notice ? { notice: state.notice } : {})}
        theme={theme}
      />
    </Box>
  );
}
