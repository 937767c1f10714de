import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerEvent, type Contract, systemClock } from '@tradenova/core';
import { SimulatedExchange } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { durableFileStore } from '../../src/fix/client/session.js';
import type { FixConnection } from '../../src/fix/connection.js';
import { FixSimulatorError } from '../../src/fix/errors.js';
import { execKind, parseExecReport } from '../../src/fix/parse.js';
import { type FixSimulator, startFixSimulator } from '../../src/fix/simulator/index.js';
import { fromFixInstrument, toFixInstrument } from '../../src/fix/symbols.js';
import { connectionTo, context, until } from './helpers.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: new Date().getUTCFullYear() + 1 };
const symbology = { symbol: 'root' as const, maturity: '200' as const, securityType: 'FUT' };

let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
  cleanup = [];
});

/** A durable FIX file store in a fresh folder (removed after the test), with jspurefix and a session id. */
async function fileStore() {
  const dir = await mkdtemp(join(tmpdir(), 'tn-fix-store-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const { loadJsFix } = await import('../../src/fix/client/jspurefix.js');
  const lib = await loadJsFix();
  const id = new lib.SessionId('FIX.4.4', 'ME', 'THEM');
  return { dir, lib, id, store: await durableFileStore(dir) };
}

async function pair(version: '4.2' | '4.4', config = {}) {
  const exchange = new SimulatedExchange({ clock: systemClock });
  const sim = await startFixSimulator({ version, exchange });
  exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
  const connection = connectionTo(sim, config);
  const events: BrokerEvent[] = [];
  connection.onEvent((e) => events.push(e));
  cleanup.push(
    () => sim.close(),
    () => connection.disconnect(),
  );
  return { sim, connection, events };
}

const fills = (events: BrokerEvent[]) => events.filter((e) => e.type === 'order-filled');

describe('fix symbols and parsing', () => {
  it('round-trips a contract through 55/200 and 55/541, root or full symbol', () => {
    for (const s of [
      symbology,
      { ...symbology, maturity: '541' as const },
      { ...symbology, symbol: 'full' as const },
    ]) {
      const fields = toFixInstrument(MNQ, s, context.instruments);
      expect(fromFixInstrument({ ...fields }, context.instruments)).toEqual(MNQ);
    }
    expect(toFixInstrument({ root: 'MNQ', month: 'Z', year: 2025 }, symbology, context.instruments)).toEqual({
      Symbol: 'MNQ',
      SecurityType: 'FUT',
      MaturityMonthYear: '202512',
      SecurityExchange: 'CME',
    });
  });

  it('reads a fill the 4.2 way (20=0, 150=1/2) and the 4.4 way (150=F)', () => {
    expect(execKind('4.2', '2', '0')).toBe('trade');
    expect(execKind('4.2', '2', '1')).toBe('trade-bust');
    expect(execKind('4.2', '0', '3')).toBe('status');
    expect(execKind('4.4', 'F')).toBe('trade');
    expect(execKind('4.4', '2')).not.toBe('trade');
    expect(execKind('4.4', 'I')).toBe('status');
    const r = parseExecReport('4.2', {
      ExecType: '1',
      ExecTransType: '0',
      OrdStatus: '1',
      LastShares: 2,
      LastPx: 21050.25,
      ExecID: 'x',
      OrderID: 'o',
      CumQty: 2,
      LeavesQty: 3,
    });
    expect(r).toMatchObject({ kind: 'trade', lastQty: 2, lastPx: '21050.25', status: 'partially-filled' });
  });
});

describe.each(['4.2', '4.4'] as const)('fix %s session', (version) => {
  it('logs on, places, modifies and cancels in this dialect', async () => {
    const { sim, connection, events } = await pair(version);
    await connection.connect();
    await connection.placeOrder({
      accountId: 'FIX1',
      clientOrderId: `v${version}-1`,
      contract: MNQ,
      side: 'buy',
      qty: 2,
      orderType: 'market',
    });
    await until('fill', () => fills(events).length > 0);
    expect(await connection.getPositions('FIX1')).toMatchObject([{ netQty: 2, avgPriceTicks: 80_001 }]);
    // The dialect on the wire: 4.2 carries ExecTransType and 150=2, 4.4 says 150=F.
    const fillReport = sim.wire.find(
      (w) => w.direction === 'out' && w.msgType === '8' && w.text.includes('|31='),
    );
    expect(fillReport?.text).toContain(version === '4.2' ? '|150=2|' : '|150=F|');
    expect(fillReport?.text.includes('|20=0|')).toBe(version === '4.2');
    const resting = await connection.placeOrder({
      accountId: 'FIX1',
      clientOrderId: `v${version}-2`,
      contract: MNQ,
      side: 'sell',
      qty: 1,
      orderType: 'stop-limit',
      stopTicks: 79_000,
      limitTicks: 78_990,
    });
    await connection.modifyOrder({ accountId: 'FIX1', orderId: resting.orderId, stopTicks: 79_100 });
    expect((await connection.getOpenOrders('FIX1'))[0]).toMatchObject({
      stopTicks: 79_100,
      clientOrderId: `v${version}-2`,
    });
    await connection.cancelOrder({ accountId: 'FIX1', orderId: resting.orderId });
    expect(await connection.getOpenOrders('FIX1')).toEqual([]);
    const d = sim.wire.find((w) => w.direction === 'in' && w.msgType === 'D');
    expect(d?.text).toContain(`8=FIX.${version}|`);
    expect(d?.text).toContain(`|11=v${version}-1|`);
    expect(d?.text).toContain('|21=1|');
  });
});

describe('fix sequence handling', () => {
  it('a gap in sequence numbers triggers a ResendRequest, and the PossDup resend is not processed twice', async () => {
    const { sim, connection, events } = await pair('4.4');
    await connection.connect();
    sim.faults.sequenceGapNext(2);
    const ack = await connection.placeOrder({
      accountId: 'FIX1',
      clientOrderId: 'gap-1',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'market',
    });
    await until('fill', () => fills(events).length === 1);
    await until('the resend request', () => sim.wire.some((w) => w.direction === 'in' && w.msgType === '2'));
    // The gateway resends its execution reports with 43=Y; the connection must see them and drop them.
    await until('the resent reports dropped as duplicates', () => connection.duplicatesIgnored >= 2);
    expect(
      sim.wire.some((w) => w.direction === 'out' && w.msgType === '8' && w.text.includes('|43=Y|')),
    ).toBe(true);
    expect(fills(events)).toHaveLength(1);
    expect(await connection.getPositions('FIX1')).toMatchObject([{ netQty: 1 }]);
    // The session goes on: the next order is answered normally.
    await connection.placeOrder({
      accountId: 'FIX1',
      clientOrderId: 'gap-2',
      contract: MNQ,
      side: 'sell',
      qty: 1,
      orderType: 'market',
    });
    await until('second fill', () => fills(events).length === 2);
    expect(ack.orderId).toBeTruthy();
  });

  it('a report repeated with the same ExecID is applied once', async () => {
    const { sim, connection, events } = await pair('4.2');
    await connection.connect();
    sim.faults.duplicateReports(true);
    await connection.placeOrder({
      accountId: 'FIX1',
      clientOrderId: 'dup-1',
      contract: MNQ,
      side: 'sell',
      qty: 3,
      orderType: 'market',
    });
    await until('fill', () => fills(events).length === 1);
    // Both the ack and the fill come twice: wait for both copies, then nothing may have been applied twice.
    await until('both repeats dropped', () => connection.duplicatesIgnored >= 2);
    expect(fills(events)).toHaveLength(1);
    expect(await connection.getPositions('FIX1')).toMatchObject([{ netQty: -3 }]);
  });

  it('a restart continues the session: sequence numbers persist in the file store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tn-fix-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const exchange = new SimulatedExchange({ clock: systemClock });
    const sim: FixSimulator = await startFixSimulator({ version: '4.4', exchange });
    cleanup.push(() => sim.close());
    exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
    const first: FixConnection = connectionTo(sim, { storeDirectory: dir });
    await first.connect();
    await first.placeOrder({
      accountId: 'FIX1',
      clientOrderId: 'restart-1',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'limit',
      limitTicks: 79_000,
    });
    const before = first.sequence();
    expect(before.sent).toBeGreaterThan(1);
    await first.disconnect();
    const second = connectionTo(sim, { storeDirectory: dir });
    cleanup.push(() => second.disconnect());
    await second.connect();
    const logons = sim.wire.filter((w) => w.direction === 'in' && w.msgType === 'A');
    expect(logons).toHaveLength(2);
    // The second Logon continues after the first session's Logout instead of starting at 1.
    const seq = Number(/\|34=(\d+)\|/.exec(logons[1]!.text)![1]);
    expect(seq).toBeGreaterThan(before.sent);
    expect(logons[1]!.text).not.toContain('|141=Y|');
    expect(second.health().state).toBe('connected');
  });

  it('a restart that logs on again at once, before the gateway has closed the old socket, continues the sequence', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tn-fix-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const exchange = new SimulatedExchange({ clock: systemClock });
    const sim = await startFixSimulator({ version: '4.4', exchange });
    cleanup.push(() => sim.close());
    exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
    // Several restarts in a row: each must find the sequence numbers the last one left on disk.
    let previous = 0;
    for (let round = 1; round <= 5; round++) {
      const connection = connectionTo(sim, { storeDirectory: dir });
      await connection.connect();
      await connection.placeOrder({
        accountId: 'FIX1',
        clientOrderId: `again-${round}`,
        contract: MNQ,
        side: 'buy',
        qty: 1,
        orderType: 'limit',
        limitTicks: 79_000,
      });
      const { sent } = connection.sequence();
      expect(sent).toBeGreaterThan(previous);
      previous = sent;
      await connection.disconnect();
    }
    const logons = sim.wire.filter((w) => w.direction === 'in' && w.msgType === 'A');
    expect(logons).toHaveLength(5);
    expect(sim.wire.some((w) => w.text.includes('MsgSeqNum too low'))).toBe(false);
  });

  it('a logon for a session that is still logged on is refused, and the first session carries on', async () => {
    const { sim, connection, events } = await pair('4.4');
    await connection.connect();
    const intruder = connectionTo(sim, { connectTimeoutSeconds: 2 });
    cleanup.push(() => intruder.disconnect());
    await expect(intruder.connect()).rejects.toThrow();
    await intruder.disconnect();
    await connection.placeOrder({
      accountId: 'FIX1',
      clientOrderId: 'still-mine',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'market',
    });
    await until('fill', () => fills(events).length === 1);
    expect(connection.health().state).toBe('connected');
  });

  it('two initiators with their own CompIDs trade at once, each getting only its own reports', async () => {
    const exchange = new SimulatedExchange({ clock: systemClock });
    const sim = await startFixSimulator({ version: '4.4', exchange, accounts: ['FIX1', 'FIX2'] });
    cleanup.push(() => sim.close());
    exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
    const a = connectionTo(sim, { senderCompId: 'DESK-A', accounts: ['FIX1'] });
    const b = connectionTo(sim, { senderCompId: 'DESK-B', accounts: ['FIX2'] });
    cleanup.push(
      () => a.disconnect(),
      () => b.disconnect(),
    );
    const eventsA: BrokerEvent[] = [];
    const eventsB: BrokerEvent[] = [];
    a.onEvent((e) => eventsA.push(e));
    b.onEvent((e) => eventsB.push(e));
    await Promise.all([a.connect(), b.connect()]);
    const order = (accountId: string, id: string, qty: number) => ({
      accountId,
      clientOrderId: id,
      contract: MNQ,
      side: 'buy' as const,
      qty,
      orderType: 'market' as const,
    });
    await Promise.all([a.placeOrder(order('FIX1', 'a-1', 1)), b.placeOrder(order('FIX2', 'b-1', 3))]);
    await until('both fills', () => fills(eventsA).length === 1 && fills(eventsB).length === 1);
    expect(await a.getPositions('FIX1')).toMatchObject([{ netQty: 1 }]);
    expect(await b.getPositions('FIX2')).toMatchObject([{ netQty: 3 }]);
    expect(fills(eventsA).every((e) => e.type === 'order-filled' && e.fill.accountId === 'FIX1')).toBe(true);
    expect(fills(eventsB).every((e) => e.type === 'order-filled' && e.fill.accountId === 'FIX2')).toBe(true);
  });

  it('a simulator on a port in use fails with a typed error instead of crashing the process', async () => {
    const sim = await startFixSimulator({ version: '4.4' });
    cleanup.push(() => sim.close());
    const error = await startFixSimulator({ version: '4.4', port: sim.port }).then(
      (s) => {
        cleanup.push(() => s.close());
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FixSimulatorError);
    expect((error as FixSimulatorError).code).toBe('TN_ERR_BROKER_UNAVAILABLE');
  });

  it('the file store lands every sequence-number write in order, so a reader finds the last one', async () => {
    const { dir, lib, id, store } = await fileStore();
    const writer = store.factory.create(id) as InstanceType<typeof lib.FileSessionStore>;
    await writer.initialize();
    // Fire-and-forget, as the engine does for every message it sends.
    for (let n = 2; n <= 300; n++) void writer.setSenderSeqNum(n);
    await store.settled();
    const reader = lib.FileSessionStore.createWithFiles(id, dir);
    await reader.initialize();
    expect(reader.senderSeqNum).toBe(300);
  });

  it("keeps the newest session's sequence numbers when an ended session of the same owner writes late", async () => {
    const { dir, lib, id, store } = await fileStore();
    type Store = InstanceType<typeof lib.FileSessionStore>;
    const first = store.factory.create(id) as Store;
    await first.initialize();
    await first.setSenderSeqNum(17);
    // A reconnect: the next session starts from what the first wrote and moves on.
    const second = store.factory.create(id) as Store;
    await second.initialize();
    expect(second.senderSeqNum).toBe(17);
    await second.setSenderSeqNum(39);
    // The first session, on its way out, writes its own (stale) numbers.
    await first.setSenderSeqNum(18);
    await first.setTargetSeqNum(5);
    await store.settled();
    const reader = lib.FileSessionStore.createWithFiles(id, dir);
    await reader.initialize();
    expect(reader.senderSeqNum).toBe(39);
  });

  it('never writes the password to the wire log of the simulator in clear outside Logon, nor into errors', async () => {
    const { connection } = await pair('4.4', { port: 1, connectTimeoutSeconds: 1 });
    const error = await connection.connect().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(String(error?.message)).not.toContain('not-a-real-password');
  });
});
