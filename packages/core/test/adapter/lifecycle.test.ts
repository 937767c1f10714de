import { describe, expect, it } from 'vitest';
import {
  brokerError,
  ConnectionLifecycle,
  declareCapabilities,
  Reconnector,
  reconnectBackoff,
  supportOf,
} from '../../src/adapter/index.js';
import {
  type BrokerEvent,
  BrokerRejectedError,
  BrokerUnknownOrderError,
  type OrderAck,
  silentLogger,
  VirtualClock,
} from '../../src/index.js';

function lifecycle(clock = new VirtualClock(1_000), served?: string[]) {
  const life = new ConnectionLifecycle(
    'test',
    { clock, logger: silentLogger },
    {
      served: () => served,
      latencyMs: () => 1.234_567,
    },
  );
  const events: BrokerEvent[] = [];
  life.subscribe((e) => events.push(e));
  return { life, events, clock };
}

describe('ConnectionLifecycle', () => {
  it('reports each state change once, with its reason', () => {
    const { life, events } = lifecycle();
    life.enter('connecting');
    life.enter('connected');
    life.enter('connected');
    life.enter('reconnecting', 'socket lost');
    expect(events).toEqual([
      { type: 'connection-changed', state: 'connecting' },
      { type: 'connection-changed', state: 'connected' },
      { type: 'connection-changed', state: 'reconnecting', reason: 'socket lost' },
    ]);
    expect(life.health()).toEqual({ state: 'reconnecting', latencyMs: 1.23 });
  });

  it('a failed open undoes, remembers the error, reports disconnected and throws it on', async () => {
    const { life, events } = lifecycle();
    let undone = false;
    const failure = new Error('login refused');
    await expect(
      life.opening(
        async () => {
          throw failure;
        },
        () => {
          undone = true;
          throw new Error('undo failed too');
        },
      ),
    ).rejects.toBe(failure);
    expect(undone).toBe(true);
    expect(events.at(-1)).toEqual({
      type: 'connection-changed',
      state: 'disconnected',
      reason: 'login refused',
    });
    expect(life.health().lastError).toBe('login refused');
  });

  it('settled() waits out a reconnect, and gives up after the timeout', async () => {
    const { life, clock } = lifecycle();
    life.enter('reconnecting');
    const back = life.settled(5_000);
    life.enter('connected');
    await expect(back).resolves.toBe('connected');
    life.enter('reconnecting');
    const late = life.settled(5_000);
    await clock.advanceBy(5_000);
    await expect(late).resolves.toBe('reconnecting');
  });

  it('emitAll drops events about accounts not served', () => {
    const { life, events } = lifecycle(new VirtualClock(0), ['A']);
    const account = (accountId: string): BrokerEvent => ({
      type: 'account-updated',
      account: { accountId, time: 0 },
    });
    life.emitAll([account('A'), account('B'), { type: 'connection-changed', state: 'connected' }]);
    expect(events).toEqual([account('A'), { type: 'connection-changed', state: 'connected' }]);
  });

  it('place sends once per intent and remembers a failure for health()', async () => {
    const clock = new VirtualClock(0);
    const life = new ConnectionLifecycle(
      'test',
      { clock, logger: silentLogger },
      {
        findOrder: async () => undefined,
      },
    );
    let sent = 0;
    const ack: OrderAck = { orderId: '1', clientOrderId: 'i1', status: 'working', time: 0 };
    const request = {
      accountId: 'A',
      clientOrderId: 'i1',
      contract: { root: 'MES', month: 'H', year: 2026 },
      side: 'buy',
      qty: 1,
      orderType: 'market',
    } as const;
    const send = async () => {
      sent++;
      return ack;
    };
    await life.place(request, send);
    await life.place(request, send);
    expect(sent).toBe(1);
    await expect(
      life.place({ ...request, clientOrderId: 'i2' }, async () => {
        throw new BrokerRejectedError('test', 'no margin');
      }),
    ).rejects.toThrow(/no margin/);
    expect(life.health().lastError).toMatch(/no margin/);
  });

  it('forgets the last error once connected again when told to', () => {
    const life = new ConnectionLifecycle(
      'test',
      { clock: new VirtualClock(0), logger: silentLogger },
      {
        forgetErrorOnConnect: true,
      },
    );
    life.fail(new Error('lost'));
    expect(life.health().lastError).toBe('lost');
    life.enter('connected');
    expect(life.health().lastError).toBeUndefined();
  });
});

describe('Reconnector', () => {
  it('backs off exponentially up to the cap, with jitter on top', () => {
    const backoff = reconnectBackoff({ initialDelayMs: 100, maxDelayMs: 1_000, random: () => 1 });
    const delays: number[] = [];
    let step = backoff.next();
    for (let i = 0; i < 6; i++) {
      delays.push(step.duration);
      step = step.next(undefined);
    }
    expect(delays).toEqual([150, 300, 600, 1_200, 1_500, 1_500]);
  });

  it('retries until an attempt succeeds, then starts from the initial delay again', async () => {
    const clock = new VirtualClock(0);
    const reconnect = new Reconnector({ initialDelayMs: 100, maxDelayMs: 1_000, clock, jitter: 0 });
    reconnect.start();
    const tried: number[] = [];
    const failures: number[] = [];
    let fail = 2;
    const attempt = async () => {
      tried.push(clock.now());
      if (fail-- > 0) throw new Error('still down');
    };
    reconnect.schedule(attempt, (_, n) => failures.push(n));
    reconnect.schedule(attempt); // one at a time: ignored
    await clock.advanceBy(1_000);
    expect(tried).toEqual([100, 300, 700]);
    expect(failures).toEqual([1, 2]);
    expect(reconnect.attempts).toBe(0);
    reconnect.schedule(attempt);
    await clock.advanceBy(100);
    expect(tried.at(-1)).toBe(1_100);
  });

  it('stop() cancels the waiting attempt; atLeast() skips ahead', async () => {
    const clock = new VirtualClock(0);
    const reconnect = new Reconnector({ initialDelayMs: 100, maxDelayMs: 10_000, clock, jitter: 0 });
    reconnect.start();
    let runs = 0;
    reconnect.schedule(async () => {
      runs++;
    });
    reconnect.stop();
    await clock.advanceBy(1_000);
    expect(runs).toBe(0);
    reconnect.start();
    reconnect.atLeast(4);
    reconnect.schedule(async () => {
      runs++;
    });
    await clock.advanceBy(1_599);
    expect(runs).toBe(0);
    await clock.advanceBy(1);
    expect(runs).toBe(1);
  });
});

describe('capabilities', () => {
  it('are declared once as native, emulated or none; the booleans follow', () => {
    const caps = declareCapabilities({
      brackets: 'emulated',
      nativeOco: 'emulated',
      modify: 'native',
      clientOrderIds: 'native',
      positionQuery: 'none',
      leaderFillStream: 'native',
      netReversal: 'native',
    });
    expect(caps.brackets).toBe(false);
    expect(caps.modify).toBe(true);
    expect(caps.positionQuery).toBe(false);
    expect(supportOf(caps, 'brackets')).toBe('emulated');
    expect(supportOf(caps, 'positionQuery')).toBe('none');
    expect(supportOf({ ...caps, brackets: true }, 'brackets')).toBe('native');
    expect(Object.isFrozen(caps)).toBe(true);
  });
});

describe('brokerError', () => {
  it('builds the typed error of an answer, naming where', () => {
    expect(brokerError('unknown-order', { broker: 'b', text: 'gone', orderId: '7' })).toBeInstanceOf(
      BrokerUnknownOrderError,
    );
    const reject = brokerError('unknown-order', { broker: 'b', text: 'gone', endpoint: 'order/cancel' });
    expect(reject).toBeInstanceOf(BrokerRejectedError);
    expect(reject.message).toBe('b: rejected: order/cancel: gone');
    expect(brokerError('auth', { broker: 'b', text: 'bad key', endpoint: 'auth' }).message).toBe(
      'b: auth: bad key',
    );
  });
});
