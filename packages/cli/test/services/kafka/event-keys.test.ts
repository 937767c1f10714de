import type { EngineEvent, TradeSignal } from '@tradenova/core';
import { describe, expect, it } from 'vitest';
import { EventKeys } from '../../../src/services/kafka/event-keys.js';

const base = { leaderAccount: 'LEAD', detectedAt: 1, receivedAt: 1 };
const received = (signal: TradeSignal): EngineEvent => ({ type: 'signal-received', time: 1, signal });
const entry = (id: string, order: string, instrument: string): TradeSignal => ({
  ...base,
  signalId: id,
  action: 'new',
  leaderOrderId: order,
  instrument,
  side: 'buy',
  qty: 1,
  orderType: 'limit',
  limitPrice: '100.00',
});

describe('EventKeys', () => {
  it('keys a modify and a cancel by their leader order’s instrument', () => {
    const keys = new EventKeys();
    expect(keys.messages(received(entry('s1', 'lo1', 'MNQH7')))).toEqual([
      { topic: 'trade.signals', key: 'MNQH7', headers: {} },
    ]);
    expect(
      keys.messages(received({ ...base, signalId: 's2', action: 'modify', leaderOrderId: 'lo1', qty: 2 }))[0]
        ?.key,
    ).toBe('MNQH7');
    expect(
      keys.messages(received({ ...base, signalId: 's3', action: 'cancel', leaderOrderId: 'lo1' }))[0]?.key,
    ).toBe('MNQH7');
    // An order this publisher never saw: no key it could know.
    expect(
      keys.messages(received({ ...base, signalId: 's4', action: 'cancel', leaderOrderId: 'other' }))[0]?.key,
    ).toBeNull();
  });

  it('forgets the oldest leader orders past its bound', () => {
    const keys = new EventKeys({ maxLeaderOrders: 2 });
    for (const [i, instrument] of ['MNQH7', 'ESH7', 'NQH7'].entries())
      keys.messages(received(entry(`s${i}`, `lo${i}`, instrument)));
    const cancel = (order: string) =>
      keys.messages(received({ ...base, signalId: `c-${order}`, action: 'cancel', leaderOrderId: order }))[0]
        ?.key;
    expect([cancel('lo0'), cancel('lo1'), cancel('lo2')]).toEqual([null, 'ESH7', 'NQH7']);
  });

  it('sends a connection’s state to account.status once per account it holds, keyed by account', () => {
    const keys = new EventKeys({ accountsOf: (c) => (c === 'login-1' ? ['A1', 'A2'] : []) });
    const state = (connection: string): EngineEvent => ({
      type: 'connection-status',
      time: 1,
      broker: 'paper',
      connection,
      state: 'connected',
    });
    expect(keys.messages(state('login-1'))).toEqual([
      { topic: 'account.status', key: 'A1', headers: {} },
      { topic: 'account.status', key: 'A2', headers: {} },
    ]);
    expect(keys.messages(state('unknown'))).toEqual([
      { topic: 'account.status', key: 'unknown', headers: {} },
    ]);
  });

  it('keys a refused signal and carries where it was read as headers', () => {
    const keys = new EventKeys({ processId: 'host:7' });
    const rejected = (extra: Partial<Extract<EngineEvent, { type: 'signal-rejected' }>>): EngineEvent => ({
      type: 'signal-rejected',
      time: 1,
      field: 'qty',
      code: 'TN_ERR_SIGNAL_INVALID',
      message: 'bad',
      ...extra,
    });
    expect(keys.messages(rejected({ signalId: 's9' }))).toEqual([
      { topic: 'order.errors', key: 's9', headers: {} },
    ]);
    expect(
      keys.messages(rejected({ source: { topic: 't.trade.signals', partition: 1, offset: '12' } })),
    ).toEqual([
      {
        topic: 'order.errors',
        key: 't.trade.signals#1',
        headers: {
          'tn-source-topic': 't.trade.signals',
          'tn-source-partition': '1',
          'tn-source-offset': '12',
        },
      },
    ]);
    expect(keys.messages(rejected({}))[0]?.key).toBe('host:7');
  });

  it('keys process health by process id', () => {
    const keys = new EventKeys({ processId: 'host:7' });
    const event: EngineEvent = { type: 'service-status', time: 1, service: 'kafka', state: 'ok', where: 'x' };
    expect(keys.messages(event)).toEqual([{ topic: 'system.heartbeat', key: 'host:7', headers: {} }]);
  });
});
