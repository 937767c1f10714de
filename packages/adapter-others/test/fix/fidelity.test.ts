import { type Contract, type PlaceOrderRequest, systemClock } from '@tradenova/core';
import { SimulatedExchange } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type FixSimulator, startFixSimulator } from '../../src/fix/simulator/index.js';
import { connectionTo, until } from './helpers.js';
import { fixTime, RawFixClient, type RawMessage } from './raw-client.js';

/*
 * What QuickFIX/J found wrong in the FIX simulator and adapter (see quickfixj.test.ts for
 * the run against QuickFIX/J itself), pinned here with a client that has no session
 * logic of its own, so each rule is checked on the wire and needs no Java.
 */

const YEAR = new Date().getUTCFullYear() + 1;
const MNQ: Contract = { root: 'MNQ', month: 'Z', year: YEAR };

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function simulator(version: '4.2' | '4.4' = '4.2', partialFills = false): Promise<FixSimulator> {
  const exchange = new SimulatedExchange({ clock: systemClock, partialFills, seed: 3 });
  const sim = await startFixSimulator({ version, exchange });
  exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
  cleanup.push(() => sim.close());
  return sim;
}

/** A buy of 1 MNQ on FIX1. */
function buyOne(clientOrderId: string, order: Pick<PlaceOrderRequest, 'orderType' | 'limitTicks'>) {
  return {
    accountId: 'FIX1',
    clientOrderId,
    contract: MNQ,
    side: 'buy',
    qty: 1,
    ...order,
  } as PlaceOrderRequest;
}

/** Places `request`, disconnects, then places it again from a new connection (a restarted process). */
async function placeAcrossRestart(sim: FixSimulator, request: PlaceOrderRequest) {
  const before = connectionTo(sim, { resetSeqNumOnLogon: true });
  await before.connect();
  const first = await before.placeOrder(request);
  await before.disconnect();
  const after = connectionTo(sim, { resetSeqNumOnLogon: true });
  cleanup.push(() => after.disconnect());
  await after.connect();
  return { first, again: await after.placeOrder(request) };
}

async function client(sim: FixSimulator): Promise<RawFixClient> {
  const c = await RawFixClient.open(sim.port, { beginString: 'FIX.4.2', sender: 'RAW', target: 'FIXSIM' });
  cleanup.push(() => c.close());
  return c;
}

const order = (clOrdId: string, qty: number, extra: [number, string | number][] = []) =>
  [
    [11, clOrdId],
    [1, 'FIX1'],
    [21, '1'],
    [55, 'MNQ'],
    [167, 'FUT'],
    [200, `${YEAR}12`],
    [207, 'CME'],
    [54, '1'],
    [60, fixTime()],
    [38, qty],
    ...extra,
  ] as [number, string | number][];

describe('FIX simulator fidelity', () => {
  it('answers a Logon with ResetSeqNumFlag=Y with 141=Y and MsgSeqNum 1, even after earlier traffic', async () => {
    const sim = await simulator();
    const first = await client(sim);
    first.logon(1);
    await first.next('A');
    first.send('1', 2, [[112, 'X']]);
    await first.next('0');
    first.close();
    await first.closed;
    const again = await client(sim);
    again.logon(1, [[141, 'Y']]);
    const answer = await again.next('A');
    expect([answer.get(141), answer.get(34)]).toEqual(['Y', '1']);
  });

  it("echoes the initiator's HeartBtInt and heartbeats at it, without a TestReqID", async () => {
    const sim = await simulator();
    const c = await client(sim);
    c.send('A', 1, [
      [98, 0],
      [108, 1],
    ]);
    expect((await c.next('A')).get(108)).toBe('1');
    const beat = await c.next('0', 4_000);
    expect(beat.get(112)).toBeUndefined();
  });

  it('reports AvgPx and CumQty over all fills so far, partial fills at different prices included', async () => {
    const sim = await simulator('4.2', true);
    const c = await client(sim);
    c.logon(1);
    await c.next('A');
    // A buy limit above the market fills in chunks as the offer comes down through it.
    c.send(
      'D',
      2,
      order('AVG-1', 6, [
        [40, '2'],
        [44, '19999'],
      ]),
    );
    expect((await c.next('8')).get(150)).toBe('0');
    const fills: RawMessage[] = [];
    let ask = 79_996;
    while (fills.at(-1)?.get(39) !== '2') {
      sim.exchange.updateQuote(MNQ, { bidTicks: ask - 1, askTicks: ask-- });
      while (c.pending().some((m) => m.get(35) === '8')) fills.push(await c.next('8'));
      if (ask < 79_900) throw new Error('the order never filled');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(fills.length).toBeGreaterThanOrEqual(2);
    let cum = 0;
    let notional = 0;
    for (const f of fills) {
      cum += Number(f.get(32));
      notional += Number(f.get(32)) * Number(f.get(31));
      expect(Number(f.get(14))).toBe(cum);
      expect(Number(f.get(6))).toBeCloseTo(notional / cum, 9);
    }
    expect(Number(fills.at(-1)!.get(6))).toBeGreaterThan(0);
  });

  it('refuses a NewOrderSingle that repeats a ClOrdID (OrdRejReason 6), answers a PossResend with the status', async () => {
    const sim = await simulator();
    const c = await client(sim);
    c.logon(1);
    await c.next('A');
    c.send('D', 2, order('DUP-1', 1, [[40, '1']]));
    await c.next('8');
    const filled = await c.next('8');
    expect(filled.get(39)).toBe('2');
    c.send('D', 3, order('DUP-1', 1, [[40, '1']]));
    const reject = await c.next('8');
    expect([reject.get(11), reject.get(150), reject.get(39), reject.get(103)]).toEqual([
      'DUP-1',
      '8',
      '8',
      '6',
    ]);
    // The same order resent because its answer was lost: the order's state, never a second order.
    c.send('D', 4, [[97, 'Y'], ...order('DUP-1', 1, [[40, '1']])]);
    const status = await c.next('8');
    expect([status.get(11), status.get(39), status.get(37)]).toEqual(['DUP-1', '2', filled.get(37)]);
    // A cancel reusing an order's ClOrdID is refused too (CxlRejReason 6).
    c.send(
      'D',
      5,
      order('DUP-2', 1, [
        [40, '2'],
        [44, '19000'],
      ]),
    );
    await c.next('8');
    c.send('F', 6, [
      [41, 'DUP-2'],
      [11, 'DUP-1'],
      [55, 'MNQ'],
      [54, '1'],
      [60, fixTime()],
    ]);
    const cancelReject = await c.next('9');
    expect([cancelReject.get(11), cancelReject.get(102)]).toEqual(['DUP-1', '6']);
    expect(sim.exchange.getPositions('FIX1')).toMatchObject([{ netQty: 1 }]);
  });

  it('answers a PossResend of a refused order with the refusal again, and of a cancel ClOrdID as a duplicate', async () => {
    const sim = await simulator();
    const c = await client(sim);
    c.logon(1);
    await c.next('A');
    sim.faults.rejectNext(1, 'MaxPosLimitReached');
    c.send('D', 2, order('REJ-1', 1, [[40, '1']]));
    expect((await c.next('8')).get(39)).toBe('8');
    c.send('D', 3, [[97, 'Y'], ...order('REJ-1', 1, [[40, '1']])]);
    const again = await c.next('8');
    expect([again.get(11), again.get(39)]).toEqual(['REJ-1', '8']);
    c.send(
      'D',
      4,
      order('LIVE-1', 1, [
        [40, '2'],
        [44, '19000'],
      ]),
    );
    await c.next('8');
    c.send('F', 5, [
      [41, 'LIVE-1'],
      [11, 'CXL-1'],
      [55, 'MNQ'],
      [54, '1'],
      [60, fixTime()],
    ]);
    expect((await c.next('8')).get(39)).toBe('4');
    c.send('D', 6, [[97, 'Y'], ...order('CXL-1', 1, [[40, '1']])]);
    const duplicate = await c.next('8');
    expect([duplicate.get(11), duplicate.get(39), duplicate.get(103)]).toEqual(['CXL-1', '8', '6']);
    expect(sim.exchange.getPositions('FIX1')).toEqual([]);
  });

  it('a restarted adapter placing an intent the gateway already holds gets that order, not a duplicate reject', async () => {
    const sim = await simulator('4.4');
    // Filled at once, so the mass status at the next logon does not list it: the new
    // process does not know it and sends it again.
    const { first, again } = await placeAcrossRestart(sim, buyOne('restart-1', { orderType: 'market' }));
    expect(again.orderId).toBe(first.orderId);
    expect(sim.exchange.getOrders('FIX1')).toHaveLength(1);
    expect(sim.exchange.getPositions('FIX1')[0]?.netQty).toBe(1);
    const sent = sim.wire.filter((w) => w.direction === 'in' && w.msgType === 'D');
    expect(sent.map((w) => w.text.includes('|97=Y|'))).toEqual([false, false, true]);
  });

  it('a restarted adapter knows a working order from the mass status at logon and sends nothing to place it again', async () => {
    const sim = await simulator('4.4');
    const { first, again } = await placeAcrossRestart(
      sim,
      buyOne('restart-2', { orderType: 'limit', limitTicks: 79_000 }),
    );
    expect(again.orderId).toBe(first.orderId);
    expect(sim.exchange.getOpenOrders('FIX1')).toHaveLength(1);
    expect(sim.wire.filter((w) => w.direction === 'in' && w.msgType === 'D')).toHaveLength(1);
  });

  it("the adapter's cancel/replace restates the order's TimeInForce", async () => {
    const sim = await simulator('4.4');
    const connection = connectionTo(sim);
    cleanup.push(() => connection.disconnect());
    await connection.connect();
    const placed = await connection.placeOrder({
      accountId: 'FIX1',
      clientOrderId: 'tif-1',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitTicks: 79_000,
      timeInForce: 'gtc',
    });
    await connection.modifyOrder({ accountId: 'FIX1', orderId: placed.orderId, limitTicks: 79_004 });
    await until('replace', () => sim.wire.some((w) => w.direction === 'in' && w.msgType === 'G'));
    const replace = sim.wire.find((w) => w.direction === 'in' && w.msgType === 'G');
    expect(replace?.text).toContain('|59=1|');
  });
});
