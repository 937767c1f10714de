import type { EngineEvent, OrderIntent } from '@tradenova/core';
import { describe, expect, it } from 'vitest';
import { keyToCommand } from '../../src/ui/keys.js';
import {
  type DashboardState,
  initialState,
  LOG_LIMIT,
  latencyPercentile,
  reduce,
  sessionPnl,
} from '../../src/ui/state.js';

const contract = { root: 'MNQ', month: 'Z' as const, year: 2025 };

function intent(follower: string, extra: Partial<OrderIntent> = {}): OrderIntent {
  return {
    intentId: `i-${follower}`,
    signalId: 's-1',
    follower,
    broker: 'paper',
    accountId: `A-${follower}`,
    leg: 'entry',
    action: 'place',
    contract,
    side: 'buy',
    qty: 2,
    orderType: 'market',
    reducing: false,
    createdAt: 0,
    ...extra,
  };
}

function start(): DashboardState {
  return initialState([
    { follower: 'alpha', broker: 'paper', connection: 'paper', accountId: 'A1', enabled: true },
    { follower: 'beta', broker: 'tradovate', connection: 'tv', accountId: 'B1', enabled: true },
    { follower: 'gamma', broker: 'tradovate', connection: 'tv', accountId: 'C1', enabled: false },
  ]);
}

const feed = (state: DashboardState, ...events: EngineEvent[]) =>
  events.reduce((s, event) => reduce(s, { type: 'engine', event }), state);

describe('dashboard reducer', () => {
  it('records a placed order: log line, latency, last copy latency of the row', () => {
    const s = feed(start(), {
      type: 'order-placed',
      time: 1,
      intent: intent('beta'),
      orderId: 'O1',
      latencyMs: 42,
    });
    expect(s.log).toHaveLength(1);
    expect(s.log[0]).toMatchObject({ follower: 'beta', kind: 'placed' });
    expect(s.log[0]!.text).toContain('MNQZ25');
    expect(s.accounts[1]!.lastLatencyMs).toBe(42);
    expect(s.counts.placed).toBe(1);
    expect(latencyPercentile(s.latency, 50)).toBe(43);
  });

  it('percentiles come from the whole session', () => {
    let s = start();
    for (let i = 1; i <= 100; i++) {
      s = feed(s, {
        type: 'order-placed',
        time: i,
        intent: intent('alpha'),
        orderId: `O${i}`,
        latencyMs: i < 99 ? 10 : 900,
      });
    }
    expect(latencyPercentile(s.latency, 50)).toBe(11);
    // Above 100 ms the histogram has 10 ms buckets; a percentile reports the bucket's upper edge.
    expect(latencyPercentile(s.latency, 99)).toBe(910);
    expect(latencyPercentile(start().latency, 50)).toBeUndefined();
  });

  it('keeps the last 500 follower events, oldest dropped first', () => {
    let s = start();
    for (let i = 0; i < LOG_LIMIT + 20; i++) {
      s = feed(s, { type: 'order-cancelled', time: i, follower: 'alpha', accountId: 'A1', orderId: `O${i}` });
    }
    expect(s.log).toHaveLength(LOG_LIMIT);
    expect(s.log[0]!.text).toBe('O20');
    expect(s.log.at(-1)!.text).toBe(`O${LOG_LIMIT + 19}`);
  });

  it('positions follow position-updated and flat contracts disappear', () => {
    const pos = (netQty: number): EngineEvent => ({
      type: 'position-updated',
      time: 1,
      follower: 'alpha',
      position: { accountId: 'A1', contract, netQty, avgPrice: '21000', realizedPnl: 0, unrealizedPnl: 0 },
    });
    const long = feed(start(), pos(2));
    expect(long.accounts[0]!.positions).toEqual({ MNQZ25: 2 });
    expect(feed(long, pos(0)).accounts[0]!.positions).toEqual({});
  });

  it('marks paused, locked-out and disabled accounts', () => {
    const s = feed(
      start(),
      { type: 'account-status', time: 1, follower: 'alpha', accountId: 'A1', status: 'paused' },
      {
        type: 'account-status',
        time: 2,
        follower: 'beta',
        accountId: 'B1',
        status: 'locked-out',
        reason: 'daily-loss',
      },
    );
    expect(s.accounts.map((a) => a.status)).toEqual(['paused', 'locked-out', 'paused']);
    expect(s.accounts[1]!.statusReason).toBe('daily-loss');
    expect(s.accounts[2]!.statusReason).toBe('disabled in config');
  });

  it('blocked and rejected orders are logged with their reason', () => {
    const s = feed(
      start(),
      {
        type: 'order-blocked',
        time: 1,
        intent: intent('alpha'),
        reason: 'follower-paused' as never,
        message: 'alpha is paused',
      },
      {
        type: 'order-rejected',
        time: 2,
        intent: intent('beta'),
        code: 'TN_ERR_BROKER_REJECTED',
        reason: 'insufficient margin',
      },
    );
    expect(s.log.map((l) => l.kind)).toEqual(['blocked', 'rejected']);
    expect(s.log[0]!.text).toContain('alpha is paused');
    expect(s.log[1]!.text).toContain('insufficient margin');
    expect(s.counts).toMatchObject({ blocked: 1, rejected: 1 });
  });

  it('connection status lands in the broker health map', () => {
    const s = feed(start(), {
      type: 'connection-status',
      time: 1,
      broker: 'tradovate',
      connection: 'tv',
      state: 'reconnecting',
      reason: 'socket closed',
    });
    expect(s.brokers.tv).toEqual({ broker: 'tradovate', state: 'reconnecting', reason: 'socket closed' });
  });

  it('snapshots set P&L and drift; session P&L sums them', () => {
    const s = reduce(start(), {
      type: 'snapshot',
      accounts: [
        {
          follower: 'alpha',
          realized: 5000,
          unrealized: -1250,
          positions: { MNQZ25: 1 },
          drift: { MNQZ25: -1 },
        },
        { follower: 'beta', realized: 0, unrealized: 750, positions: {}, drift: {} },
      ],
    });
    expect(sessionPnl(s)).toBe(4500);
    expect(s.accounts[0]!.drift).toEqual({ MNQZ25: -1 });
  });

  it('selection stays within the table', () => {
    let s = reduce(start(), { type: 'select', delta: -1 });
    expect(s.selected).toBe(0);
    s = reduce(s, { type: 'select', delta: 10 });
    expect(s.selected).toBe(2);
  });

  it('state is never mutated', () => {
    const before = start();
    const copy = structuredClone(before);
    feed(before, { type: 'order-placed', time: 1, intent: intent('alpha'), orderId: 'O1', latencyMs: 5 });
    reduce(before, { type: 'select', delta: 1 });
    expect(before).toEqual(copy);
  });
});

describe('keys', () => {
  const s = start();
  it('maps the documented keys', () => {
    expect(keyToCommand(s, 'p', {})).toEqual({ type: 'toggle-pause', follower: 'alpha' });
    expect(keyToCommand(s, 'P', {})).toEqual({ type: 'pause-all' });
    expect(keyToCommand(s, 'f', {})).toEqual({ type: 'ask-flatten', follower: 'alpha' });
    expect(keyToCommand(s, 'F', {})).toEqual({ type: 'ask-flatten-all' });
    expect(keyToCommand(s, 'r', {})).toEqual({ type: 'reconcile' });
    expect(keyToCommand(s, 'q', {})).toEqual({ type: 'quit' });
    expect(keyToCommand(s, '', { downArrow: true })).toEqual({ type: 'select', delta: 1 });
    expect(keyToCommand(s, 'c', { ctrl: true })).toEqual({ type: 'quit' });
  });

  it('P resumes when every account is paused', () => {
    const all = feed(
      s,
      { type: 'account-status', time: 1, follower: 'alpha', accountId: 'A1', status: 'paused' },
      { type: 'account-status', time: 1, follower: 'beta', accountId: 'B1', status: 'paused' },
    );
    expect(keyToCommand(all, 'P', {})).toEqual({ type: 'resume-all' });
  });

  it('while a question is open only y, n and Esc count', () => {
    const asking = reduce(s, { type: 'ask', confirm: { kind: 'flatten-all' } });
    expect(keyToCommand(asking, 'F', {})).toEqual({ type: 'none' });
    expect(keyToCommand(asking, 'q', {})).toEqual({ type: 'none' });
    expect(keyToCommand(asking, 'y', {})).toEqual({ type: 'confirm' });
    expect(keyToCommand(asking, 'n', {})).toEqual({ type: 'decline' });
    expect(keyToCommand(asking, '', { escape: true })).toEqual({ type: 'decline' });
  });
});
