import { readdir } from 'node:fs/promises';
import type { BrokerEvent, Contract } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ninjaTraderConfigSchema } from '../../src/ninjatrader/config.js';
import type { NinjaTraderConnection } from '../../src/ninjatrader/connection.js';
import {
  type NinjaTraderSimulator,
  startNinjaTraderSimulator,
} from '../../src/ninjatrader/simulator/index.js';
import { AtiTokenizer, encodeAtiMessage } from '../../src/ninjatrader/wire.js';
import { connectionFor, tempFolder } from './helpers.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: new Date().getUTCFullYear() + 1 };

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
});

async function until(what: string, check: () => boolean, timeout = 5_000): Promise<void> {
  await waitFor(check, { message: what, timeout });
}

async function overSocket(): Promise<{
  sim: NinjaTraderSimulator;
  connection: NinjaTraderConnection;
  events: BrokerEvent[];
}> {
  const folder = await tempFolder();
  cleanup.push(folder.remove);
  const sim = await startNinjaTraderSimulator({ dir: folder.dir, atiPort: 0 });
  cleanup.push(() => sim.close());
  sim.exchange.updateQuote(MNQ, { bidTicks: 84_000, askTicks: 84_001 });
  const connection = connectionFor(folder.dir, {
    transport: 'socket',
    socket: { port: sim.atiPort!, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } },
  });
  const events: BrokerEvent[] = [];
  connection.onEvent((e) => events.push(e));
  await connection.connect();
  cleanup.push(() => connection.disconnect());
  return { sim, connection, events };
}

describe('ATI socket framing', () => {
  it('reads tokens split across reads and many messages in one read', () => {
    const bytes = Buffer.concat([
      encodeAtiMessage(['2', 'ATI', 'True']),
      encodeAtiMessage(['2', 'OrderStatus|a1', 'Working']),
      encodeAtiMessage(['0', 'PLACE;Sim101;MNQ 12-27;BUY;1;MARKET;;;DAY;;a1;;']),
    ]);
    const whole = new AtiTokenizer().push(bytes);
    expect(whole).toEqual([
      ['2', 'ATI', 'True'],
      ['2', 'OrderStatus|a1', 'Working'],
      ['0', 'PLACE;Sim101;MNQ 12-27;BUY;1;MARKET;;;DAY;;a1;;'],
    ]);
    // Byte by byte: the same messages, none early.
    const tokenizer = new AtiTokenizer();
    const split: string[][] = [];
    for (let i = 0; i < bytes.length; i++) split.push(...tokenizer.push(bytes.subarray(i, i + 1)));
    expect(split).toEqual(whole);
  });

  it('refuses a token holding NUL', () => {
    expect(() => encodeAtiMessage(['0', 'a\u0000b'])).toThrow(RangeError);
  });
});

describe('NinjaTrader over the ATI socket (experimental)', () => {
  it('places and fills through the socket alone: no OIF file is written', async () => {
    const { sim, connection, events } = await overSocket();
    const ack = await connection.placeOrder({
      accountId: 'Sim101',
      clientOrderId: 'sock-1',
      contract: MNQ,
      side: 'buy',
      qty: 2,
      orderType: 'market',
    });
    await until('the fill', () =>
      events.some((e) => e.type === 'order-filled' && e.fill.orderId === ack.orderId),
    );
    await until('long 2', () => events.some((e) => e.type === 'position-updated' && e.position.netQty === 2));
    expect(sim.stats().commands.PLACE).toBe(1);
    expect(sim.stats().files).toBe(0);
    expect((await readdir(sim.incoming)).filter((n) => n.startsWith('oif'))).toEqual([]);
    expect(await connection.getPositions('Sim101')).toMatchObject([{ netQty: 2 }]);
    // A flatten is CLOSEPOSITION over the socket, and reaches listeners as one fill.
    await connection.flatten({ accountId: 'Sim101' });
    await until('flat', () => events.some((e) => e.type === 'position-updated' && e.position.netQty === 0));
    const close = events.flatMap((e) =>
      e.type === 'order-filled' && e.fill.orderId.startsWith('CLOSEPOSITION') ? [e.fill] : [],
    );
    expect(close).toMatchObject([{ side: 'sell', qty: 2 }]);
  });

  it('a lost socket is reconnecting, and connected again once NinjaTrader answers', async () => {
    const { sim, connection, events } = await overSocket();
    await connection.placeOrder({
      accountId: 'Sim101',
      clientOrderId: 'before-drop',
      contract: MNQ,
      side: 'buy',
      qty: 1,
      orderType: 'market',
    });
    await until('long 1', () => events.some((e) => e.type === 'position-updated' && e.position.netQty === 1));
    sim.dropAtiClients();
    await until('reconnecting', () =>
      events.some((e) => e.type === 'connection-changed' && e.state === 'reconnecting'),
    );
    // Closed at NinjaTrader while the socket is down: the state pushed on reconnect says so.
    await sim.exchange.flatten({ accountId: 'Sim101' });
    await until('connected again', () => connection.health().state === 'connected');
    await until('flat after the reconnect', () =>
      events.some((e) => e.type === 'position-updated' && e.position.netQty === 0),
    );
    expect(await connection.getPositions('Sim101')).toEqual([]);
    const ack = await connection.placeOrder({
      accountId: 'Sim101',
      clientOrderId: 'after-drop',
      contract: MNQ,
      side: 'sell',
      qty: 1,
      orderType: 'market',
    });
    expect(ack.clientOrderId).toBe('after-drop');
  });

  it('fails fast when nothing listens, naming the socket', async () => {
    const folder = await tempFolder();
    cleanup.push(folder.remove);
    const connection = connectionFor(folder.dir, {
      transport: 'socket',
      socket: { port: 1, openTimeoutMs: 1_000 },
    });
    await expect(connection.connect()).rejects.toThrow(/ATI socket 127\.0\.0\.1:1/);
    expect(connection.health().state).toBe('disconnected');
  });

  it('needs a journal folder but no OIF folders', () => {
    expect(
      ninjaTraderConfigSchema.safeParse({ transport: 'socket', accounts: ['Sim101'], journalDir: '/tmp/j' })
        .success,
    ).toBe(true);
    const missing = ninjaTraderConfigSchema.safeParse({ transport: 'socket', accounts: ['Sim101'] });
    expect(missing.success).toBe(false);
    expect(JSON.stringify(missing.error?.issues)).toMatch(/journalDir/);
  });
});
