import { describe, expect, it } from 'vitest';
import { parseSignal } from '../../src/model/parse-signal.js';
import { BROKER_T0, LEADER, LOCAL_T0, leaderSetup, MNQ, OTHER } from './helpers.js';

const base = { leaderAccount: LEADER };

describe('LeaderSignalSource', () => {
  it('market order: `new` on its first fill, with the fill price, sent before the fill', async () => {
    const s = await leaderSetup();
    await s.brokerClock.advanceBy(100);
    await s.localClock.advanceBy(300);
    s.market('20000.25');
    await s.place({ side: 'buy', orderType: 'market', qty: 2 });
    await s.settle();
    expect(s.signals()).toEqual([
      {
        ...base,
        signalId: 'leader:LEAD:L1:new:1',
        detectedAt: BROKER_T0 + 100,
        receivedAt: LOCAL_T0 + 300,
        action: 'new',
        leaderOrderId: 'L1',
        instrument: 'MNQZ25',
        side: 'buy',
        qty: 2,
        orderType: 'market',
        fillPrice: '20000.25',
      },
    ]);
    // The engine must read the leader position from before the fill: the signal goes first.
    expect(s.sent.map((x) => ('signal' in x ? 'signal' : 'fill'))).toEqual(['signal', 'fill']);
    expect(s.fills()).toMatchObject([{ orderId: 'L1', qty: 2, priceTicks: s.ticks('20000.25') }]);
  });

  it('limit order: `new` when working, `modify` for a price or qty change, `cancel` for a cancel', async () => {
    const s = await leaderSetup();
    const ack = await s.place({ side: 'buy', orderType: 'limit', limitTicks: s.ticks('19990') });
    await s.settle();
    await s.brokerClock.advanceBy(50);
    await s.exchange.modifyOrder({
      accountId: LEADER,
      orderId: ack.orderId,
      limitTicks: s.ticks('19985.75'),
    });
    await s.settle();
    await s.brokerClock.advanceBy(50);
    await s.exchange.modifyOrder({ accountId: LEADER, orderId: ack.orderId, qty: 3 });
    await s.settle();
    await s.brokerClock.advanceBy(50);
    await s.localClock.advanceBy(10);
    await s.exchange.cancelOrder({ accountId: LEADER, orderId: ack.orderId });
    await s.settle();
    expect(s.signals()).toEqual([
      {
        ...base,
        signalId: 'leader:LEAD:L1:new:1',
        detectedAt: BROKER_T0,
        receivedAt: LOCAL_T0,
        action: 'new',
        leaderOrderId: 'L1',
        instrument: 'MNQZ25',
        side: 'buy',
        qty: 1,
        orderType: 'limit',
        limitPrice: '19990',
      },
      {
        ...base,
        signalId: 'leader:LEAD:L1:modify:1',
        detectedAt: BROKER_T0 + 50,
        receivedAt: LOCAL_T0,
        action: 'modify',
        leaderOrderId: 'L1',
        leg: 'entry',
        limitPrice: '19985.75',
      },
      {
        ...base,
        signalId: 'leader:LEAD:L1:modify:2',
        detectedAt: BROKER_T0 + 100,
        receivedAt: LOCAL_T0,
        action: 'modify',
        leaderOrderId: 'L1',
        leg: 'entry',
        qty: 3,
      },
      {
        ...base,
        signalId: 'leader:LEAD:L1:cancel:1',
        detectedAt: BROKER_T0 + 150,
        receivedAt: LOCAL_T0 + 10,
        action: 'cancel',
        leaderOrderId: 'L1',
        leg: 'entry',
      },
    ]);
    // Every signal is one the engine accepts as it is.
    for (const signal of s.signals()) expect(parseSignal(signal, { ...base, now: 0 })).toEqual(signal);
  });

  it('stop and stop-limit orders carry their prices on `new`', async () => {
    const s = await leaderSetup();
    await s.place({ side: 'buy', orderType: 'stop', stopTicks: s.ticks('20010') });
    await s.place({
      side: 'sell',
      orderType: 'stop-limit',
      stopTicks: s.ticks('19990'),
      limitTicks: s.ticks('19989.5'),
    });
    await s.settle();
    expect(s.signals()).toMatchObject([
      { action: 'new', leaderOrderId: 'L1', orderType: 'stop', stopPrice: '20010' },
      {
        action: 'new',
        leaderOrderId: 'L2',
        orderType: 'stop-limit',
        stopPrice: '19990',
        limitPrice: '19989.5',
      },
    ]);
    expect(s.signals()[0]).not.toHaveProperty('limitPrice');
  });

  it('bracket: `new` with bracket prices, a stop move is a stop-loss `modify`, the OCO cancel is no signal', async () => {
    const s = await leaderSetup();
    const ack = await s.place({
      side: 'buy',
      orderType: 'limit',
      limitTicks: s.ticks('19990'),
      bracket: { stopLossTicks: s.ticks('19980'), takeProfitTicks: s.ticks('20010') },
    });
    await s.settle();
    const { stopLoss, takeProfit } = ack.childOrderIds!;
    await s.brokerClock.advanceBy(20);
    await s.exchange.modifyOrder({ accountId: LEADER, orderId: stopLoss!, stopTicks: s.ticks('19982.5') });
    await s.settle();
    s.market('19990');
    await s.settle();
    s.market('20010.25');
    await s.settle();
    expect(s.exchange.getOrder(takeProfit!)?.status).toBe('filled');
    expect(s.exchange.getOrder(stopLoss!)?.status).toBe('cancelled');
    expect(s.signals()).toEqual([
      {
        ...base,
        signalId: 'leader:LEAD:L1:new:1',
        detectedAt: BROKER_T0,
        receivedAt: LOCAL_T0,
        action: 'new',
        leaderOrderId: 'L1',
        instrument: 'MNQZ25',
        side: 'buy',
        qty: 1,
        orderType: 'limit',
        limitPrice: '19990',
        bracket: { stopLoss: { price: '19980' }, takeProfit: { price: '20010' } },
      },
      {
        ...base,
        signalId: `leader:LEAD:${stopLoss}:modify:1`,
        detectedAt: BROKER_T0 + 20,
        receivedAt: LOCAL_T0,
        action: 'modify',
        leaderOrderId: 'L1',
        leg: 'stop-loss',
        stopPrice: '19982.5',
      },
    ]);
    // Both fills still reach the engine's leader position.
    expect(s.fills().map((f) => f.orderId)).toEqual(['L1', takeProfit]);
  });

  it('a market bracket entry carries its fill price and bracket on one `new`', async () => {
    const s = await leaderSetup();
    await s.place({
      side: 'sell',
      orderType: 'market',
      bracket: { stopLossTicks: s.ticks('20010'), takeProfitTicks: s.ticks('19990') },
    });
    await s.settle();
    expect(s.signals()).toEqual([
      {
        ...base,
        signalId: 'leader:LEAD:L1:new:1',
        detectedAt: BROKER_T0,
        receivedAt: LOCAL_T0,
        action: 'new',
        leaderOrderId: 'L1',
        instrument: 'MNQZ25',
        side: 'sell',
        qty: 1,
        orderType: 'market',
        fillPrice: '19999.75',
        bracket: { stopLoss: { price: '20010' }, takeProfit: { price: '19990' } },
      },
    ]);
    expect(s.sent.map((x) => ('signal' in x ? 'signal' : 'fill'))).toEqual(['signal', 'fill']);
  });

  it('children reported in a later frame become `modify` of their legs', async () => {
    const s = await leaderSetup({ relay: true });
    s.relay!.holdIf = (e) => e.type === 'order-updated' && e.order.parentOrderId !== undefined;
    const ack = await s.place({
      side: 'buy',
      orderType: 'limit',
      limitTicks: s.ticks('19990'),
      bracket: { stopLossTicks: s.ticks('19980'), takeProfitTicks: s.ticks('20010') },
    });
    await s.settle();
    s.relay!.holdIf = undefined;
    s.relay!.release();
    await s.settle();
    const { stopLoss, takeProfit } = ack.childOrderIds!;
    expect(s.signals()).toMatchObject([
      { action: 'new', leaderOrderId: 'L1', limitPrice: '19990' },
      {
        signalId: `leader:LEAD:${stopLoss}:modify:1`,
        action: 'modify',
        leaderOrderId: 'L1',
        leg: 'stop-loss',
        stopPrice: '19980',
      },
      {
        signalId: `leader:LEAD:${takeProfit}:modify:1`,
        action: 'modify',
        leaderOrderId: 'L1',
        leg: 'take-profit',
        limitPrice: '20010',
      },
    ]);
    expect(s.signals()[0]).not.toHaveProperty('bracket');
  });

  it('cancelling an unfilled bracket entry is one `cancel`: its children go with it', async () => {
    const s = await leaderSetup();
    await s.place({
      side: 'buy',
      orderType: 'limit',
      limitTicks: s.ticks('19990'),
      bracket: { stopLossTicks: s.ticks('19980'), takeProfitTicks: s.ticks('20010') },
    });
    await s.settle();
    await s.exchange.cancelOrder({ accountId: LEADER, orderId: 'L1' });
    await s.settle();
    expect(s.signals().map((x) => [x.action, x.signalId])).toEqual([
      ['new', 'leader:LEAD:L1:new:1'],
      ['cancel', 'leader:LEAD:L1:cancel:1'],
    ]);
  });

  it('the leader removing its stop is a `cancel` of the stop-loss leg', async () => {
    const s = await leaderSetup();
    const ack = await s.place({
      side: 'buy',
      orderType: 'market',
      bracket: { stopLossTicks: s.ticks('19980'), takeProfitTicks: s.ticks('20010') },
    });
    await s.settle();
    const { stopLoss } = ack.childOrderIds!;
    await s.exchange.cancelOrder({ accountId: LEADER, orderId: stopLoss! });
    await s.settle();
    expect(s.signals().slice(1)).toEqual([
      {
        ...base,
        signalId: `leader:LEAD:${stopLoss}:cancel:1`,
        detectedAt: BROKER_T0,
        receivedAt: LOCAL_T0,
        action: 'cancel',
        leaderOrderId: 'L1',
        leg: 'stop-loss',
      },
    ]);
  });

  it('a price moved away and back is two modifies, not a replay', async () => {
    const s = await leaderSetup();
    await s.place({ side: 'buy', orderType: 'limit', limitTicks: s.ticks('19990') });
    await s.settle(10);
    await s.exchange.modifyOrder({ accountId: LEADER, orderId: 'L1', limitTicks: s.ticks('19980') });
    await s.settle(10);
    await s.exchange.modifyOrder({ accountId: LEADER, orderId: 'L1', limitTicks: s.ticks('19990') });
    await s.settle();
    expect(s.signals().map((x) => (x.action === 'modify' ? x.limitPrice : x.action))).toEqual([
      'new',
      '19980',
      '19990',
    ]);
  });

  it('replayed events create no second signal and no second fill', async () => {
    const s = await leaderSetup({ relay: true });
    await s.place({ side: 'buy', orderType: 'market', qty: 2 });
    await s.place({ side: 'sell', orderType: 'limit', limitTicks: s.ticks('20020') });
    await s.settle();
    // Same broker time as the working report: only the version tells the replayed report apart.
    await s.exchange.modifyOrder({ accountId: LEADER, orderId: 'L2', limitTicks: s.ticks('20015') });
    await s.place({
      side: 'buy',
      orderType: 'market',
      bracket: { stopLossTicks: s.ticks('19980'), takeProfitTicks: s.ticks('20010') },
    });
    await s.settle(5);
    await s.exchange.cancelOrder({ accountId: LEADER, orderId: 'L2' });
    s.market('20010.25');
    await s.settle();
    // A live order moved at the same broker time as it went working: only its version dates the replay.
    await s.place({ side: 'buy', orderType: 'limit', limitTicks: s.ticks('19900') });
    await s.exchange.modifyOrder({ accountId: LEADER, orderId: 'L6', limitTicks: s.ticks('19905') });
    await s.settle();
    const before = [...s.sent];
    expect(s.signals().map((x) => x.signalId)).toEqual([
      'leader:LEAD:L1:new:1',
      'leader:LEAD:L2:new:1',
      'leader:LEAD:L2:modify:1',
      'leader:LEAD:L3:new:1',
      'leader:LEAD:L2:cancel:1',
      'leader:LEAD:L6:new:1',
      'leader:LEAD:L6:modify:1',
    ]);
    expect(s.fills()).toHaveLength(3);
    s.relay!.replay();
    await s.settle();
    s.relay!.replay();
    await s.settle();
    expect(s.sent).toEqual(before);
  });

  it('after a reconnect, a change missed while the stream was down is copied once', async () => {
    const s = await leaderSetup();
    await s.place({ side: 'buy', orderType: 'limit', limitTicks: s.ticks('19990') });
    await s.settle(10);
    await s.paper.disconnect();
    await s.exchange.modifyOrder({ accountId: LEADER, orderId: 'L1', limitTicks: s.ticks('19995') });
    await s.settle(10);
    expect(s.signals()).toHaveLength(1);
    await s.paper.connect();
    await s.settle();
    // A second reconnect reads the same open orders again: nothing new.
    await s.paper.disconnect();
    await s.paper.connect();
    await s.settle();
    expect(s.signals().slice(1)).toEqual([
      {
        ...base,
        signalId: 'leader:LEAD:L1:modify:1',
        detectedAt: BROKER_T0 + 10,
        receivedAt: LOCAL_T0 + 20,
        action: 'modify',
        leaderOrderId: 'L1',
        leg: 'entry',
        limitPrice: '19995',
      },
    ]);
  });

  it('partial fills of a market order: one `new` for the whole order, every fill passed on once', async () => {
    const s = await leaderSetup({ partialFills: true });
    await s.place({ side: 'buy', orderType: 'market', qty: 5 });
    await s.settle();
    expect(s.fills().length).toBeGreaterThan(1);
    expect(s.fills().reduce((n, f) => n + f.qty, 0)).toBe(5);
    expect(s.signals()).toMatchObject([{ action: 'new', qty: 5, orderType: 'market', fillPrice: '20000' }]);
    expect(s.sent[0]).toHaveProperty('signal');
  });

  it('ignores other accounts on the same connection and rejected orders', async () => {
    const s = await leaderSetup();
    await s.exchange.placeOrder({
      accountId: OTHER,
      clientOrderId: 'o1',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'market',
    });
    await s.exchange.placeOrder({
      accountId: OTHER,
      clientOrderId: 'o2',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitTicks: s.ticks('19000'),
    });
    s.exchange.faults.rejectNext(1);
    await s.place({ side: 'buy', orderType: 'limit', limitTicks: s.ticks('19990') }).catch(() => {});
    await s.settle();
    expect(s.sent).toEqual([]);
  });

  it('orders open before the source started are not copied, but their fills count', async () => {
    const s = await leaderSetup({
      before: async (ex) => {
        await ex.placeOrder({
          accountId: LEADER,
          clientOrderId: 'early',
          contract: MNQ,
          side: 'buy',
          qty: 1,
          orderType: 'limit',
          limitTicks: 79_960,
        });
      },
    });
    await s.exchange.modifyOrder({ accountId: LEADER, orderId: 'L1', limitTicks: s.ticks('19995') });
    s.market('19995');
    await s.settle();
    expect(s.signals()).toEqual([]);
    expect(s.fills()).toMatchObject([{ orderId: 'L1', qty: 1 }]);
  });

  it('stop() sends what is still queued and stops listening', async () => {
    const s = await leaderSetup();
    void s.place({ side: 'buy', orderType: 'limit', limitTicks: s.ticks('19990') });
    await s.source.stop();
    expect(s.signals()).toHaveLength(1);
    await s.place({ side: 'buy', orderType: 'limit', limitTicks: s.ticks('19980') });
    await s.settle();
    expect(s.signals()).toHaveLength(1);
  });
});
