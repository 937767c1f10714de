import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BrokerEvent,
  createEngine,
  type Engine,
  parseContract,
  priceToTicks,
  systemClock,
} from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startPair } from './helpers.js';

const YEAR = new Date().getUTCFullYear() + 1;
const MNQ = parseContract(`MNQZ${YEAR % 10}`);

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
});

async function until(what: string, check: () => boolean, timeout = 8_000): Promise<void> {
  await waitFor(check, { message: what, timeout });
}

/** Two followers on one NinjaTrader (one outgoing folder), driven by the engine through real files. */
async function engineOnNinjaTrader() {
  const { sim, connection, stop } = await startPair();
  cleanup.push(stop);
  const events: BrokerEvent[] = [];
  connection.onEvent((e) => events.push(e));
  const engine: Engine = createEngine(
    {
      leader: { account: 'LEAD' },
      followers: [
        { name: 'a', broker: 'ninjatrader', account: 'Sim101', scaling: { mode: 'multiplier', factor: 2 } },
        { name: 'b', broker: 'ninjatrader', account: 'Sim102', scaling: { mode: 'fixed', qty: 1 } },
      ],
    },
    { clock: systemClock, connections: { ninjatrader: connection } },
  );
  await engine.start();
  cleanup.push(() => engine.stop());
  const ticks = priceToTicks('21000', '0.25');
  sim.exchange.updateQuote(MNQ, { bidTicks: ticks - 1, askTicks: ticks });
  sim.exchange.updateTrade(MNQ, ticks);
  const net = (name: string) => engine.positions(name).find((p) => p.contract.root === MNQ.root)?.netQty ?? 0;
  const buy = async (id: string, qty: number) => {
    const result = await engine.submit({
      signalId: id,
      action: 'new',
      leaderOrderId: `L-${id}`,
      instrument: `MNQZ${YEAR % 10}`,
      side: 'buy',
      qty,
      orderType: 'market',
      fillPrice: '21000',
      time: Date.now(),
    });
    expect(result.ok).toBe(true);
    engine.applyLeaderFill({ contract: MNQ, side: 'buy', qty, priceTicks: ticks });
  };
  return { sim, connection, engine, events, net, buy };
}

describe('NinjaTrader flatten through the engine', () => {
  it('books the close, which NinjaTrader reports without a price, at the market the engine last saw', async () => {
    const { sim, engine, events, net, buy } = await engineOnNinjaTrader();
    await buy('s1', 1);
    await until('follower a long 2', () => net('a') === 2);
    // The market moved 10 points up before the flatten; the adapter's guess is its last fill (21000).
    const up = priceToTicks('21010', '0.25');
    sim.exchange.updateQuote(MNQ, { bidTicks: up, askTicks: up + 1 });
    sim.exchange.updateTrade(MNQ, up);
    engine.mark(MNQ, { last: up });
    await engine.flatten('a');
    await until('follower a flat in the engine', () => net('a') === 0);
    const close = events.find((e) => e.type === 'order-filled' && e.fill.orderId.startsWith('CLOSEPOSITION'));
    expect(close).toMatchObject({ fill: { priceEstimated: true } });
    // 2 MNQ × 10 points × 2 USD = 40 USD, in integer mils.
    expect(engine.pnl('a').realized).toBe(40_000);
  });

  it('a per-account flatten (CLOSEPOSITION) leaves the follower flat in engine.positions', async () => {
    const { sim, engine, events, net, buy } = await engineOnNinjaTrader();
    await buy('s1', 1);
    await until('both followers long', () => net('a') === 2 && net('b') === 1);

    await engine.flatten('a');
    await until('follower a flat in the engine', () => net('a') === 0);
    expect(sim.exchange.getPositions('Sim101')).toEqual([]);
    // The other account on the same NinjaTrader is untouched, at the broker and in the engine.
    expect(net('b')).toBe(1);
    expect(sim.exchange.getPositions('Sim102')).toMatchObject([{ netQty: 1 }]);

    // What NinjaTrader wrote: a FLAT position file, and no order-state file for its closing order.
    const position = await readFile(
      join(sim.outgoing, `MNQ 12-${String(YEAR % 100).padStart(2, '0')} Globex_Sim101_Position.txt`),
      'utf8',
    );
    expect(position.trim()).toBe('FLAT;0;0');
    // Order-state files exist only for the orders the adapter placed (named by intent id).
    const placed = new Set(
      events.flatMap((e) =>
        e.type === 'order-updated' && e.order.clientOrderId ? [e.order.clientOrderId] : [],
      ),
    );
    const stateFiles = (await readdir(sim.outgoing)).filter(
      (n) => !/_position\.txt$/i.test(n) && n !== `${sim.connectionName}.txt`,
    );
    expect(stateFiles.length).toBeGreaterThan(0);
    for (const name of stateFiles) expect(placed.has(name.slice(0, -4))).toBe(true);
    // The close reached the engine as one fill of the whole position, after both entry fills.
    const closeFills = events.flatMap((e) =>
      e.type === 'order-filled' && e.fill.orderId.startsWith('CLOSEPOSITION') ? [e.fill] : [],
    );
    expect(closeFills).toMatchObject([{ accountId: 'Sim101', side: 'sell', qty: 2 }]);
    const flatEvent = events.findIndex(
      (e) => e.type === 'position-updated' && e.position.accountId === 'Sim101' && e.position.netQty === 0,
    );
    const closeFill = events.findIndex((e) => e.type === 'order-filled' && e.fill === closeFills[0]);
    expect(closeFill).toBeGreaterThanOrEqual(0);
    expect(flatEvent).toBeGreaterThan(closeFill);

    // Trading on afterwards counts from flat: a new entry and a second flatten of every follower.
    await buy('s2', 1);
    await until('long again', () => net('a') === 2 && net('b') === 2);
    await engine.flatten();
    await until('every follower flat in the engine', () => net('a') === 0 && net('b') === 0);
    expect(sim.exchange.getPositions('Sim101')).toEqual([]);
    expect(sim.exchange.getPositions('Sim102')).toEqual([]);
    // Each close was reported once: no second fill for a position already closed.
    const closes = events.filter(
      (e) => e.type === 'order-filled' && e.fill.orderId.startsWith('CLOSEPOSITION'),
    );
    expect(closes).toHaveLength(3);
  });

  it('a flatten of a flat account writes no close and reports no fill', async () => {
    const { sim, engine, events, net } = await engineOnNinjaTrader();
    await engine.flatten('a');
    await new Promise((r) => setTimeout(r, 300));
    expect(net('a')).toBe(0);
    expect(sim.stats().commands.CLOSEPOSITION ?? 0).toBe(0);
    expect(events.some((e) => e.type === 'order-filled')).toBe(false);
  });
});
