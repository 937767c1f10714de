import { watch } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrokerEvent, Contract } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { OrderJournal } from '../../src/ninjatrader/journal.js';
import { classifyOutgoingName, parseOrderStateFile, statusOfState } from '../../src/ninjatrader/parse.js';
import { fromNinjaSymbol, toNinjaSymbol } from '../../src/ninjatrader/symbols.js';
import { encodeOifLine, parseOifLine } from '../../src/ninjatrader/wire.js';
import { connectionFor, startPair, tempFolder } from './helpers.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: 2025 };
const ES: Contract = { root: 'ES', month: 'H', year: 2026 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeout = 3_000): Promise<void> {
  await waitFor(check, { message: what, timeout });
}

describe('ninjatrader grammar and names', () => {
  it('writes the exact 13-field lines of the OIF grammar', () => {
    expect(
      encodeOifLine('PLACE', {
        account: 'Sim101',
        instrument: 'MNQ 12-25',
        action: 'BUY',
        qty: 2,
        orderType: 'STOPLIMIT',
        limitPrice: '20000.25',
        stopPrice: '20001',
        tif: 'DAY',
        orderId: 'abc-1',
      }),
    ).toBe('PLACE;Sim101;MNQ 12-25;BUY;2;STOPLIMIT;20000.25;20001;DAY;;abc-1;;');
    expect(encodeOifLine('CANCEL', { orderId: 'abc-1' })).toBe('CANCEL;;;;;;;;;;abc-1;;');
    expect(encodeOifLine('CHANGE', { qty: 0, limitPrice: '1.5', stopPrice: '0', orderId: 'x' })).toBe(
      'CHANGE;;;;0;;1.5;0;;;x;;',
    );
    expect(encodeOifLine('CLOSEPOSITION', { account: 'Sim101', instrument: 'ES 03-26' })).toBe(
      'CLOSEPOSITION;Sim101;ES 03-26;;;;;;;;;;',
    );
    expect(
      encodeOifLine('REVERSEPOSITION', {
        account: 'A',
        instrument: 'ES 03-26',
        action: 'SELL',
        qty: 1,
        orderType: 'MARKET',
        tif: 'GTC',
      }),
    ).toBe('REVERSEPOSITION;A;ES 03-26;SELL;1;MARKET;;;GTC;;;;');
    for (const line of ['PLACE;Sim101;MNQ 12-25;BUY;2;LIMIT;1;;DAY;;id;;', 'CANCEL;;;;;;;;;;id;;']) {
      expect(line.split(';')).toHaveLength(13);
      expect(parseOifLine(line)).toBeDefined();
    }
    expect(parseOifLine('PLACE;Sim101;MNQ 12-25;BUY')).toBeUndefined();
    expect(() => encodeOifLine('CANCEL', { orderId: 'a;b' })).toThrow();
  });

  it('maps MNQ December 2025 to "MNQ 12-25" and back', () => {
    expect(toNinjaSymbol(MNQ)).toBe('MNQ 12-25');
    expect(toNinjaSymbol(ES)).toBe('ES 03-26');
    expect(fromNinjaSymbol('MNQ 12-25')).toEqual(MNQ);
    expect(() => fromNinjaSymbol('MNQZ5')).toThrow();
  });

  it('reads position file names of the doc form and the NT8 form, and state tokens case-insensitively', () => {
    expect(classifyOutgoingName('ES 09-14 Globex_Sim101_Position.txt')).toEqual({
      kind: 'position',
      instrument: 'ES 09-14',
      exchange: 'Globex',
      account: 'Sim101',
    });
    expect(classifyOutgoingName('MNQ 12-25 Default_My_Acct_position.txt')).toMatchObject({
      account: 'My_Acct',
    });
    expect(parseOrderStateFile('PartFilled;2;20000.5')).toEqual({
      state: 'PARTFILLED',
      filledQty: 2,
      avgPrice: 20000.5,
    });
    expect(parseOrderStateFile('FILLED;2;')).toBeUndefined();
    expect(statusOfState('PARTIALLYFILLED', 1)).toBe('partially-filled');
    expect(statusOfState('SOMETHINGNEW', 0)).toBe('pending');
  });
});

describe('ninjatrader files', () => {
  it('never lets a half-written oif*.txt appear in incoming (write to a temp name, then rename)', async () => {
    const folder = await tempFolder();
    cleanups.push(folder.remove);
    await mkdir(join(folder.dir, 'incoming'));
    await mkdir(join(folder.dir, 'outgoing'));
    const connection = connectionFor(folder.dir, { ackTimeoutMs: 50 });
    cleanups.push(() => connection.disconnect());
    await connection.connect();
    // What NinjaTrader's own watcher would see: every notification for an oif*.txt name, read at once.
    const seen: { event: string; name: string; text: string | undefined }[] = [];
    const reads: Promise<void>[] = [];
    const watcher = watch(join(folder.dir, 'incoming'), (event, name) => {
      if (typeof name !== 'string' || !/^oif.*\.txt$/i.test(name)) return;
      reads.push(
        readFile(join(folder.dir, 'incoming', name), 'utf8').then(
          (text) => void seen.push({ event, name, text }),
          () => void seen.push({ event, name, text: undefined }),
        ),
      );
    });
    cleanups.push(async () => watcher.close());
    const placements = Array.from({ length: 20 }, (_, i) =>
      connection
        .placeOrder({
          accountId: 'Sim101',
          clientOrderId: `half${i}`,
          contract: MNQ,
          side: 'buy',
          qty: 1,
          orderType: 'limit',
          limitTicks: 79_000 + i,
        })
        .catch(() => undefined),
    );
    await Promise.all(placements);
    await until('20 files seen', () => new Set(seen.map((s) => s.name)).size >= 20);
    await Promise.all(reads);
    // A rename shows as 'rename' only; writing under the final name would also raise 'change'.
    expect(seen.filter((s) => s.event === 'change')).toEqual([]);
    for (const s of seen) {
      expect(s.text).toMatch(/^PLACE;Sim101;MNQ 12-25;BUY;1;LIMIT;[\d.]+;;DAY;;half\d+;;\r\n$/);
    }
    const names = await readdir(join(folder.dir, 'incoming'));
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(new Set(names).size).toBe(20);
  });

  it('the simulator ignores a file until it is renamed to oif*.txt', async () => {
    const { sim, stop } = await startPair();
    cleanups.push(stop);
    const line = encodeOifLine('PLACE', {
      account: 'Sim101',
      instrument: 'MNQ 12-25',
      action: 'BUY',
      qty: 1,
      orderType: 'LIMIT',
      limitPrice: '19000',
      tif: 'DAY',
      orderId: 'partial1',
    });
    const temp = join(sim.incoming, 'partial.tmp');
    await writeFile(temp, line.slice(0, 20));
    // A whole oif file written after it is read; the half-written one still is not.
    const other = line.replaceAll('partial1', 'other1');
    // Written whole, then renamed, as the adapter does: the watcher never sees it half-written.
    await writeFile(join(sim.incoming, 'other.tmp'), `${other}\r\n`);
    await rename(join(sim.incoming, 'other.tmp'), join(sim.incoming, 'oif-other.txt'));
    await until('the other state file', async () => (await readdir(sim.outgoing)).includes('other1.txt'));
    expect(sim.stats()).toMatchObject({ files: 1, malformed: 0, commands: { PLACE: 1 } });
    await writeFile(temp, `${line}\r\n`);
    await rename(temp, join(sim.incoming, 'oif-partial.txt'));
    await until('the state file', async () => (await readdir(sim.outgoing)).includes('partial1.txt'));
    expect(await readFile(join(sim.outgoing, 'partial1.txt'), 'utf8')).toBe('WORKING;0;0');
    expect(sim.stats()).toMatchObject({ files: 2, malformed: 0, commands: { PLACE: 2 } });
  });

  it('a restarted adapter finds its earlier orders from the outgoing files and does not place them again', async () => {
    const { sim, connection, dir, stop } = await startPair();
    cleanups.push(stop);
    sim.exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
    await connection.connect();
    const resting = await connection.placeOrder({
      accountId: 'Sim101',
      clientOrderId: 'intent-rest',
      contract: MNQ,
      side: 'buy',
      qty: 2,
      orderType: 'limit',
      limitTicks: 79_000,
    });
    const filled = await connection.placeOrder({
      accountId: 'Sim101',
      clientOrderId: 'intent-fill',
      contract: MNQ,
      side: 'sell',
      qty: 1,
      orderType: 'market',
    });
    // The ack is NinjaTrader's first decisive state: WORKING may come before FILLED on a loaded machine.
    expect(['working', 'filled']).toContain(filled.status);
    await until(
      'the market order filled',
      async () => (await connection.findOrderByClientId('Sim101', 'intent-fill'))?.status === 'filled',
    );
    await connection.disconnect();

    const restarted = connectionFor(dir);
    cleanups.push(() => restarted.disconnect());
    const events: BrokerEvent[] = [];
    restarted.onEvent((e) => events.push(e));
    await restarted.connect();
    // History is the starting point, not news.
    expect(events.filter((e) => e.type === 'order-filled')).toEqual([]);
    const open = await restarted.getOpenOrders('Sim101');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      orderId: resting.orderId,
      clientOrderId: 'intent-rest',
      side: 'buy',
      qty: 2,
      orderType: 'limit',
      limitTicks: 79_000,
      status: 'working',
    });
    expect(await restarted.findOrderByClientId('Sim101', 'intent-fill')).toMatchObject({
      status: 'filled',
      filledQty: 1,
    });
    expect(await restarted.getPositions('Sim101')).toMatchObject([{ netQty: -1, avgPriceTicks: 80_000 }]);
    const placesBefore = sim.stats().commands.PLACE;
    const again = await restarted.placeOrder({
      accountId: 'Sim101',
      clientOrderId: 'intent-rest',
      contract: MNQ,
      side: 'buy',
      qty: 2,
      orderType: 'limit',
      limitTicks: 79_000,
    });
    expect(again.orderId).toBe(resting.orderId);
    // The restarted adapter still drives the order: cancel it.
    await restarted.cancelOrder({ accountId: 'Sim101', orderId: resting.orderId });
    await until('cancelled', () =>
      events.some(
        (e) =>
          e.type === 'order-updated' && e.order.orderId === resting.orderId && e.order.status === 'cancelled',
      ),
    );
    // The CANCEL, written after the repeated placement, is read: a second PLACE would have been too.
    expect(sim.stats().commands.PLACE).toBe(placesBefore);
    expect(sim.exchange.getOpenOrders('Sim101')).toHaveLength(0);
  });

  it('a restarted adapter forgets a journaled order whose PLACE never reached NinjaTrader (a crash between the two), and places it when asked', async () => {
    const { sim, dir, stop } = await startPair();
    cleanups.push(stop);
    sim.exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
    // What a kill -9 between the journal write and the command file leaves: the journal alone.
    const journal = new OrderJournal(join(dir, 'tradenova'));
    await journal.append({
      kind: 'place',
      orderId: 'intent-unsent',
      accountId: 'Sim101',
      instrument: 'MNQ 12-25',
      side: 'sell',
      qty: 2,
      orderType: 'limit',
      limitTicks: 81_000,
      placedAt: Date.now() - 2_000,
    });
    await journal.close();
    // ... and, when the kill came mid-write, the command's temp file, which NinjaTrader never reads.
    await writeFile(
      join(sim.incoming, '.tn-crashed.tmp'),
      'PLACE;Sim101;MNQ 12-25;SELL;2;LIMIT;;;DAY;;intent-unsent;;\r\n',
    );

    const restarted = connectionFor(dir);
    cleanups.push(() => restarted.disconnect());
    await restarted.connect();
    // Not shown as working for good (a restarted copier would take it for its copy).
    expect(await restarted.getOpenOrders('Sim101')).toEqual([]);
    expect(await restarted.findOrderByClientId('Sim101', 'intent-unsent')).toBeUndefined();
    const ack = await restarted.placeOrder({
      accountId: 'Sim101',
      clientOrderId: 'intent-unsent',
      contract: MNQ,
      side: 'sell',
      qty: 2,
      orderType: 'limit',
      limitTicks: 81_000,
    });
    expect(ack.status).toBe('working');
    expect(sim.exchange.getOpenOrders('Sim101').map((o) => o.clientOrderId)).toEqual(['intent-unsent']);
  });

  it('flattens one account per instrument with CLOSEPOSITION, never touching another account', async () => {
    const { sim, connection, stop } = await startPair();
    cleanups.push(stop);
    for (const c of [MNQ, ES]) sim.exchange.updateQuote(c, { bidTicks: 20_000, askTicks: 20_001 });
    await connection.connect();
    let n = 0;
    const place = (accountId: string, contract: Contract, orderType: 'market' | 'limit') =>
      connection.placeOrder({
        accountId,
        clientOrderId: `flat${++n}`,
        contract,
        side: 'buy',
        qty: 1,
        orderType,
        ...(orderType === 'limit' ? { limitTicks: 19_000 } : {}),
      });
    for (const account of ['Sim101', 'Sim102']) {
      await place(account, MNQ, 'market');
      await place(account, ES, 'market');
      await place(account, MNQ, 'limit');
    }
    await connection.flatten({ accountId: 'Sim101' });
    await until('Sim101 flat', async () => (await connection.getPositions('Sim101')).length === 0);
    await until('Sim101 without orders', async () => (await connection.getOpenOrders('Sim101')).length === 0);
    expect((await connection.getPositions('Sim102')).map((p) => p.netQty)).toEqual([1, 1]);
    expect(await connection.getOpenOrders('Sim102')).toHaveLength(1);
    expect(sim.exchange.getOpenOrders('Sim102')).toHaveLength(1);
    const commands = sim.stats().commands;
    expect(commands.CLOSEPOSITION).toBe(2);
    expect(commands.CANCELALLORDERS).toBeUndefined();
    expect(commands.FLATTENEVERYTHING).toBeUndefined();
  });

  it('a REJECTED state is a BrokerRejectedError, and a file NinjaTrader never processes is an unknown outcome', async () => {
    const { sim, connection, stop } = await startPair({}, { ackTimeoutMs: 300 });
    cleanups.push(stop);
    sim.exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
    await connection.connect();
    sim.faults.ignoreNextFiles(1);
    const lost = await connection
      .placeOrder({
        accountId: 'Sim101',
        clientOrderId: 'lost1',
        contract: MNQ,
        side: 'buy',
        qty: 1,
        orderType: 'market',
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(lost).toMatchObject({ code: 'TN_ERR_BROKER_TIMEOUT' });
    expect(await connection.findOrderByClientId('Sim101', 'lost1')).toMatchObject({ status: 'pending' });
  });
});
