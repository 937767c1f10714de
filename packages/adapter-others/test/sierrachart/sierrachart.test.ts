import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import type { BrokerEvent, Contract } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { DtcSession } from '../../src/sierrachart/client/dtc-session.js';
import { startSierraChartSimulator } from '../../src/sierrachart/simulator/index.js';
import { sierraSymbols } from '../../src/sierrachart/symbols.js';
import {
  DtcType,
  decodeEncodingMessage,
  encodeEncodingMessage,
  encodeJson,
  NulFramer,
  OrderStatus,
} from '../../src/sierrachart/wire.js';
import { connectionTo, context, startPair } from './helpers.js';

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: 2025 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(what: string, check: () => boolean, timeout = 3_000): Promise<void> {
  await waitFor(check, { message: what, timeout, interval: 5 });
}

/** A raw DTC client socket that records every JSON message the server sends. */
async function rawClient(port: number): Promise<{ socket: Socket; received: Record<string, unknown>[] }> {
  const socket = netConnect({ port, host: '127.0.0.1' });
  socket.setNoDelay(true);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const framer = new NulFramer();
  const received: Record<string, unknown>[] = [];
  socket.on('data', (data: Buffer) => {
    for (const frame of framer.push(data)) received.push(JSON.parse(frame) as Record<string, unknown>);
  });
  cleanups.push(() => void socket.destroy());
  return { socket, received };
}

describe('sierrachart framing', () => {
  it('splits NUL-terminated JSON across reads and many messages in one read, UTF-8 intact', () => {
    const framer = new NulFramer();
    const bytes = Buffer.concat([
      encodeJson({ Type: 3, Text: 'é€' }),
      encodeJson({ Type: 401, TradeAccount: 'Sim1' }),
      encodeJson({ Type: 401, TradeAccount: 'Sim2' }),
    ]);
    // One byte at a time: the multi-byte characters are split too.
    const oneByOne = [...bytes].flatMap((b) => framer.push(Buffer.from([b])));
    expect(oneByOne.map((f) => JSON.parse(f))).toEqual([
      { Type: 3, Text: 'é€' },
      { Type: 401, TradeAccount: 'Sim1' },
      { Type: 401, TradeAccount: 'Sim2' },
    ]);
    expect(framer.pending).toBe(0);
    expect(framer.push(bytes)).toHaveLength(3);
  });

  it('opens a session whose answer waited while this process was busy past the open timeout', async () => {
    const sim = await startSierraChartSimulator();
    cleanups.push(() => sim.close());
    const session = new DtcSession({
      host: '127.0.0.1',
      port: sim.port,
      encoding: 'request',
      clock: context.clock,
      logger: context.logger,
      openTimeoutMs: 100,
      onMessage: () => {},
      onClose: () => {},
    });
    cleanups.push(() => session.close('test over'));
    const opened = session.open();
    // A start-up that holds the thread (other adapters loading, a journal opening): the timer
    // comes due while nothing, the connect and the server's answer included, could be read.
    const until = Date.now() + 400;
    while (Date.now() < until) {
      /* busy */
    }
    await expect(opened).resolves.toBeUndefined();
  });

  it('writes the 16-byte binary encoding request', () => {
    const request = encodeEncodingMessage(6, 2);
    expect([...request]).toEqual([16, 0, 6, 0, 8, 0, 0, 0, 2, 0, 0, 0, 0x44, 0x54, 0x43, 0]);
    expect(decodeEncodingMessage(request)).toEqual({ type: 6, size: 16, protocolVersion: 8, encoding: 2 });
  });

  it('the simulator reads an encoding request, logon and requests sent in one write and byte by byte', async () => {
    const sim = await startSierraChartSimulator();
    cleanups.push(() => sim.close());
    const batch = Buffer.concat([
      encodeEncodingMessage(6, 2),
      encodeJson({ Type: DtcType.LogonRequest, ProtocolVersion: 8, HeartbeatIntervalInSeconds: 10 }),
      encodeJson({ Type: DtcType.TradeAccountsRequest, RequestID: 7 }),
      encodeJson({ Type: DtcType.CurrentPositionsRequest, RequestID: 8, TradeAccount: 'Sim1' }),
    ]);
    // Many messages in one TCP write.
    const a = await rawClient(sim.port);
    const answers: Buffer[] = [];
    a.socket.removeAllListeners('data');
    a.socket.on('data', (d: Buffer) => answers.push(d));
    a.socket.write(batch);
    await until(
      'the answers',
      () => Buffer.concat(answers).subarray(16).toString().split('\u0000').length > 5,
    );
    const all = Buffer.concat(answers);
    expect(decodeEncodingMessage(all)).toMatchObject({ type: 7, encoding: 2 });
    const json = all
      .subarray(16)
      .toString()
      .split('\u0000')
      .filter((s) => s !== '')
      .map((s) => JSON.parse(s) as Record<string, unknown>);
    expect(json[0]).toMatchObject({ Type: DtcType.LogonResponse, Result: 1, TradingIsSupported: 1 });
    expect(json.filter((m) => m.Type === DtcType.TradeAccountResponse).map((m) => m.TradeAccount)).toEqual([
      'Sim1',
      'Sim2',
      'Sim3',
    ]);
    expect(json.find((m) => m.Type === DtcType.PositionUpdate)).toMatchObject({
      RequestID: 8,
      NoPositions: 1,
    });

    // The same bytes, one per TCP write (JSON from the first byte this time, as with a fixed Encoding).
    const b = await rawClient(sim.port);
    const jsonOnly = batch.subarray(16);
    for (const byte of jsonOnly) {
      b.socket.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    await until('the answers, byte by byte', () => b.received.some((m) => m.Type === DtcType.PositionUpdate));
    expect(b.received[0]).toMatchObject({ Type: DtcType.LogonResponse, Result: 1 });
    expect(b.received.filter((m) => m.Type === DtcType.TradeAccountResponse)).toHaveLength(3);
  });

  it('the adapter reads updates split across reads and batched in one read', async () => {
    // A hand-written DTC server on real TCP, so the byte boundaries are ours to choose.
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => {
      sockets.push(socket);
      const framer = new NulFramer();
      socket.on('data', (data: Buffer) => {
        for (const frame of framer.push(data)) {
          const m = JSON.parse(frame) as { Type: number; RequestID?: number };
          const reply = (messages: object[]) =>
            socket.write(Buffer.concat(messages.map((x) => encodeJson(x as never))));
          if (m.Type === DtcType.LogonRequest) reply([{ Type: 2, Result: 1, TradingIsSupported: 1 }]);
          if (m.Type === DtcType.TradeAccountsRequest)
            reply([
              {
                Type: 401,
                RequestID: m.RequestID,
                TotalNumberMessages: 1,
                MessageNumber: 1,
                TradeAccount: 'Sim1',
              },
            ]);
          if (m.Type === DtcType.OpenOrdersRequest)
            reply([
              { Type: 301, RequestID: m.RequestID, TotalNumMessages: 1, MessageNumber: 1, NoOrders: 1 },
            ]);
          if (m.Type === DtcType.HistoricalOrderFillsRequest)
            reply([
              {
                Type: 304,
                RequestID: m.RequestID,
                TotalNumberMessages: 1,
                MessageNumber: 1,
                NoOrderFills: 1,
              },
            ]);
          if (m.Type === DtcType.CurrentPositionsRequest)
            reply([
              { Type: 306, RequestID: m.RequestID, TotalNumberMessages: 1, MessageNumber: 1, NoPositions: 1 },
            ]);
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const connection = connectionTo(port, { encoding: 'json' });
    cleanups.push(() => connection.disconnect());
    const events: BrokerEvent[] = [];
    connection.onEvent((e) => events.push(e));
    await connection.connect();
    const update = (n: number) =>
      encodeJson({
        Type: 301,
        RequestID: 0,
        Symbol: 'MNQZ25-CME',
        ServerOrderID: `s${n}`,
        ClientOrderID: `c${n}`,
        OrderStatus: 10,
        OrderUpdateReason: 5,
        OrderType: 1,
        BuySell: 1,
        OrderQuantity: 10,
        FilledQuantity: n,
        LastFillPrice: 20000.25,
        LastFillQuantity: 1,
        LastFillExecutionID: `x${n}`,
        TradeAccount: 'Sim1',
      });
    const socket = sockets[0]!;
    // Three updates in one write, then one update in three writes cut mid-JSON.
    socket.write(Buffer.concat([update(1), update(2), update(3)]));
    const fourth = update(4);
    for (const part of [fourth.subarray(0, 5), fourth.subarray(5, 60), fourth.subarray(60)]) {
      socket.write(part);
      await new Promise((r) => setTimeout(r, 15));
    }
    await until('four fills', () => events.filter((e) => e.type === 'order-filled').length === 4);
    const fills = events.flatMap((e) => (e.type === 'order-filled' ? [e.fill] : []));
    expect(fills.map((f) => f.fillId)).toEqual(['x1', 'x2', 'x3', 'x4']);
    expect(fills[3]).toMatchObject({ orderId: 's4', clientOrderId: 'c4', priceTicks: 80_001, qty: 1 });
    expect(fills[0]!.contract).toEqual(MNQ);
  });
});

describe('sierrachart sessions', () => {
  it('maps symbols by a per-service template', () => {
    const byDefault = sierraSymbols('{root}{month}{yy}-{exchange}');
    expect(byDefault.format(MNQ)).toBe('MNQZ25-CME');
    expect(byDefault.parse('MNQZ25-CME')).toEqual(MNQ);
    const short = sierraSymbols('{root}{month}{y}');
    expect(short.format(MNQ)).toBe('MNQZ5');
    expect(short.parse('MNQZ5', Date.UTC(2025, 5, 1))).toEqual(MNQ);
    expect(() => byDefault.parse('MNQZ5')).toThrow();
  });

  it('refuses a server without Allow Trading, and a refused logon, as fatal errors', async () => {
    const { sim, connection } = await startPair();
    cleanups.push(() => sim.close());
    sim.faults.tradingDisabled = true;
    await expect(connection.connect()).rejects.toMatchObject({
      code: 'TN_ERR_BROKER_UNAVAILABLE',
      disposition: 'fatal',
    });
    sim.faults.tradingDisabled = false;
    sim.faults.failNextLogon('Invalid password');
    await expect(connection.connect()).rejects.toMatchObject({ code: 'TN_ERR_BROKER_AUTH' });
    await connection.connect();
    expect(connection.health().state).toBe('connected');
    await connection.disconnect();
  });

  it('heartbeats: the server drops a silent client; the adapter reconnects when the server goes quiet', async () => {
    const sim = await startSierraChartSimulator();
    cleanups.push(() => sim.close());
    // A client that logs on with a 1 s interval and then says nothing.
    const raw = await rawClient(sim.port);
    raw.socket.write(
      encodeJson({ Type: DtcType.LogonRequest, ProtocolVersion: 8, HeartbeatIntervalInSeconds: 1 }),
    );
    const closed = new Promise<void>((r) => raw.socket.once('close', () => r()));
    await closed;
    expect(sim.stats().heartbeatTimeouts).toBe(1);
    expect(raw.received.some((m) => m.Type === DtcType.Heartbeat)).toBe(true);

    const connection = connectionTo(sim.port, { heartbeatIntervalSeconds: 1 });
    cleanups.push(() => connection.disconnect());
    const states: string[] = [];
    connection.onEvent((e) => {
      if (e.type === 'connection-changed') states.push(e.state);
    });
    await connection.connect();
    const logons = sim.stats().logons;
    // A well-behaved adapter keeps the session through several intervals (the server drops after two silent ones).
    const beats = () => sim.stats().messages[DtcType.Heartbeat] ?? 0;
    const before = beats();
    await until('three heartbeats from the adapter', () => beats() >= before + 3, 6_000);
    expect(sim.stats().heartbeatTimeouts).toBe(1);
    expect(connection.health().state).toBe('connected');
    sim.faults.silent = true;
    await until('reconnecting', () => states.includes('reconnecting'), 4_000);
    sim.faults.silent = false;
    await until('connected again', () => states.at(-1) === 'connected', 4_000);
    expect(sim.stats().logons).toBeGreaterThan(logons);
  }, 15_000);
});

describe('sierrachart simulator fidelity', () => {
  const year = new Date().getUTCFullYear() + 1;
  const yy = String(year % 100).padStart(2, '0');

  async function loggedOn() {
    const sim = await startSierraChartSimulator();
    cleanups.push(() => sim.close());
    const c = await rawClient(sim.port);
    c.socket.write(
      encodeJson({ Type: DtcType.LogonRequest, ProtocolVersion: 8, HeartbeatIntervalInSeconds: 10 }),
    );
    await until('logon', () => c.received.some((m) => m.Type === DtcType.LogonResponse));
    const updates = (clientOrderId: string) =>
      c.received.filter((m) => m.Type === DtcType.OrderUpdate && m.ClientOrderID === clientOrderId);
    return { c, updates };
  }

  it('takes Symbol and Exchange as separate fields, as DTC allows, or joined by the delimiter', async () => {
    const { c, updates } = await loggedOn();
    for (const [id, symbol, exchange] of [
      ['apart', `MNQZ${yy}`, 'CME'],
      ['joined', `MNQZ${yy}-CME`, ''],
    ] as const) {
      c.socket.write(
        encodeJson({
          Type: DtcType.SubmitNewSingleOrder,
          Symbol: symbol,
          Exchange: exchange,
          TradeAccount: 'Sim1',
          ClientOrderID: id,
          OrderType: 2,
          BuySell: 1,
          Price1: 19_000,
          Quantity: 1,
        }),
      );
      await until(`the order ${id}`, () => updates(id).length > 0);
      expect(updates(id)[0]).toMatchObject({ OrderStatus: OrderStatus.Open, Symbol: `MNQZ${yy}-CME` });
    }
  });

  it('a cancelled order reports RemainingQuantity 0', async () => {
    const { c, updates } = await loggedOn();
    c.socket.write(
      encodeJson({
        Type: DtcType.SubmitNewSingleOrder,
        Symbol: `MNQZ${yy}-CME`,
        TradeAccount: 'Sim1',
        ClientOrderID: 'to-cancel',
        OrderType: 2,
        BuySell: 1,
        Price1: 19_000,
        Quantity: 3,
      }),
    );
    await until('the order', () => updates('to-cancel').length > 0);
    const open = updates('to-cancel')[0]!;
    expect(open).toMatchObject({ OrderStatus: OrderStatus.Open, RemainingQuantity: 3 });
    c.socket.write(encodeJson({ Type: DtcType.CancelOrder, ServerOrderID: open.ServerOrderID }));
    await until('the cancel', () => updates('to-cancel').some((m) => m.OrderStatus === OrderStatus.Canceled));
    expect(updates('to-cancel').find((m) => m.OrderStatus === OrderStatus.Canceled)).toMatchObject({
      FilledQuantity: 0,
      RemainingQuantity: 0,
    });
  });
});
