import { describe, expect, it } from 'vitest';
import type { BrokerConnection } from '../../src/adapter/contract.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { parseEngineConfig } from '../../src/config/parse.js';
import { createEngine } from '../../src/engine/engine.js';
import { parseContract } from '../../src/instruments/contract.js';
import { defaultInstruments } from '../../src/instruments/registry.js';
import { LeaderSignalSource } from '../../src/leader/index.js';
import { priceToTicks } from '../../src/money/price.js';
import { PaperBroker } from '../../src/paper/paper-broker.js';
import { SimulatedExchange } from '../../src/paper/simulated-exchange.js';

const MNQ = parseContract('MNQZ25');
const T0 = Date.parse('2025-11-24T14:30:00.000Z');

/**
 * The whole leader path on one paper exchange: the leader trades at the exchange,
 * the source turns that into signals, the engine copies them to a ×2 follower.
 */
describe('LeaderSignalSource wired to the engine', () => {
  it('copies a leader bracket, its stop move and its take-profit exit', async () => {
    const clock = new VirtualClock(T0);
    const exchange = new SimulatedExchange({ clock, idPrefix: 'P' });
    const config = parseEngineConfig({
      leader: { account: 'LEAD' },
      followers: [{ name: 'f1', account: 'F1', scaling: { mode: 'multiplier', factor: 2 } }],
    });
    const followers = new PaperBroker(exchange, ['F1']);
    const leader = new PaperBroker(exchange, ['LEAD']);
    const connections: Record<string, BrokerConnection> = { paper: followers };
    const engine = createEngine(config, { clock, connections });
    await leader.connect();
    const source = new LeaderSignalSource({
      connection: leader,
      accountId: 'LEAD',
      clock,
      instruments: defaultInstruments,
      onLeaderFill: (fill) => engine.applyLeaderFill(fill),
    });
    engine.addSource(source);
    await engine.start();
    const market = (p: string) => {
      const ticks = priceToTicks(p, '0.25');
      exchange.updateQuote(MNQ, { bidTicks: ticks - 1, askTicks: ticks });
      exchange.updateTrade(MNQ, ticks);
    };
    const settle = async () => {
      await source.settled();
      await clock.runUntilIdle();
      await engine.idle();
    };
    const followerOpen = () => exchange.getOpenOrders('F1');

    market('20000');
    const ack = await exchange.placeOrder({
      accountId: 'LEAD',
      clientOrderId: 'ui-1',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'market',
      bracket: {
        stopLossTicks: priceToTicks('19990', '0.25'),
        takeProfitTicks: priceToTicks('20010', '0.25'),
      },
    });
    await settle();
    expect(exchange.getPositions('F1')).toMatchObject([{ netQty: 2 }]);
    expect(followerOpen().map((o) => [o.orderType, o.qty, o.stopTicks ?? o.limitTicks])).toEqual([
      ['stop', 2, priceToTicks('19990', '0.25')],
      ['limit', 2, priceToTicks('20010', '0.25')],
    ]);

    await exchange.modifyOrder({
      accountId: 'LEAD',
      orderId: ack.childOrderIds!.stopLoss!,
      stopTicks: priceToTicks('19995', '0.25'),
    });
    await settle();
    expect(followerOpen().find((o) => o.orderType === 'stop')?.stopTicks).toBe(priceToTicks('19995', '0.25'));

    market('20010.25');
    await settle();
    expect(exchange.getPositions('LEAD')).toEqual([]);
    expect(exchange.getPositions('F1')).toEqual([]);
    expect(followerOpen()).toEqual([]);
    expect(engine.leaderPositions().get('MNQZ25') ?? 0).toBe(0);
    await engine.stop();
  });
});
