/**
 * `@tradenova/adapter-others/fix/simulator`: a FIX 4.2 / 4.4 acceptor on loopback
 * (jspurefix) in front of the shared simulated exchange, with sequence gaps,
 * resend requests, duplicate reports and dropped connections on demand.
 */
import { createServer } from 'node:net';
import {
  type BrokerEvent,
  type BrokerOrder,
  BrokerRateLimitedError,
  BrokerRejectedError,
  type Contract,
  defaultInstruments,
  type InstrumentRegistry,
  type OrderType,
  priceToTicks,
  type Side,
  systemClock,
  ticksToPrice,
} from '@tradenova/core';
import { SimulatedExchange } from '@tradenova/core/testing';
import type { ISessionDescription } from 'jspurefix';
import type { FixFields, FixSessionHandle, RunningLauncher } from '../client/session.js';
import type { FixSymbology } from '../config.js';
import type { FixVersion } from '../parse.js';
import { fromFixInstrument, toFixInstrument } from '../symbols.js';

/** Options of `startFixSimulator`. */
export interface FixSimulatorOptions {
  /** TCP port on 127.0.0.1; a free one when absent. */
  port?: number;
  version: FixVersion;
  /** The exchange behind the acceptor; a fresh one (system clock) when absent. */
  exchange?: SimulatedExchange;
  /** Our CompID (the initiator's TargetCompID), `FIXSIM` by default. */
  senderCompId?: string;
  /** The initiator's SenderCompID, `TRADENOVA` by default. */
  targetCompId?: string;
  /** Accounts opened at the exchange when missing (default `FIX1`, `FIX2`). */
  accounts?: string[];
  /** When set, logons must carry this username/password (553/554); any credentials by default. */
  credentials?: { username: string; password: string };
  /** How 55/200/541/207 are read and written (root symbol, 200 by default). */
  symbology?: Partial<FixSymbology>;
}

/** Faults the simulator injects on demand. */
export interface FixSimulatorFaults {
  /** The next outbound message skips `n` sequence numbers: the initiator sees a gap and asks for a resend. */
  sequenceGapNext(n?: number): void;
  /** Sends a ResendRequest to the initiator from `begin` (default: its first message). */
  requestResend(begin?: number): void;
  /** Drops every TCP connection at once (no Logout). */
  dropConnections(): void;
  /** The next `n` placements are rejected (ExecutionReport 150=8). */
  rejectNext(n?: number, reason?: string): void;
  /** The next `n` requests get a BusinessMessageReject "throttle" answer. */
  rateLimitNext(n?: number, retryAfterMs?: number): void;
  /** The next placement is carried out, then the connection drops before its report is sent. */
  loseNextResponse(): void;
  /** Every execution report is sent a second time (same ExecID, a new sequence number) from now on. */
  duplicateReports(on: boolean): void;
}

/** A running FIX simulator. */
export interface FixSimulator {
  readonly port: number;
  readonly version: FixVersion;
  readonly exchange: SimulatedExchange;
  readonly faults: FixSimulatorFaults;
  /** Counters for tests: logons served, messages received by type, reports sent. */
  stats(): {
    logons: number;
    received: Record<string, number>;
    reportsSent: number;
    sequence: { sent: number; received: number };
  };
  /** Raw inbound and outbound messages (SOH as `|`), newest last, for tests and debugging. */
  readonly wire: { direction: 'in' | 'out'; msgType: string; text: string }[];
  close(): Promise<void>;
}

interface SimOrder {
  orderId: string;
  clOrdId: string;
  accountId: string;
  contract: Contract;
  /** Requests awaiting the exchange event that answers them. */
  pendingCancel?: { clOrdId: string; origClOrdId: string };
  pendingReplace?: { clOrdId: string; origClOrdId: string };
  announced: boolean;
}

const ORD_TYPES: Record<string, OrderType> = { '1': 'market', '2': 'limit', '3': 'stop', '4': 'stop-limit' };
const ORD_STATUS: Record<BrokerOrder['status'], string> = {
  pending: 'A',
  working: '0',
  'partially-filled': '1',
  filled: '2',
  cancelled: '4',
  rejected: '8',
};

/** A free loopback port (jspurefix's acceptor cannot report the one it got for port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a FIX acceptor on loopback backed by a simulated exchange. */
export async function startFixSimulator(options: FixSimulatorOptions): Promise<FixSimulator> {
  const { launchFix, sharedMemoryStore } = await import('../client/session.js');
  const version = options.version;
  const instruments: InstrumentRegistry = options.exchange?.instruments ?? defaultInstruments;
  const exchange = options.exchange ?? new SimulatedExchange({ clock: systemClock, instruments });
  for (const account of options.accounts ?? ['FIX1', 'FIX2']) {
    if (!exchange.hasAccount(account)) exchange.openAccount(account, 50_000_000);
  }
  const symbology: FixSymbology = {
    symbol: 'root',
    maturity: '200',
    securityType: 'FUT',
    ...options.symbology,
  };
  const port = options.port ?? (await freePort());
  const senderCompId = options.senderCompId ?? 'FIXSIM';
  const targetCompId = options.targetCompId ?? 'TRADENOVA';

  const sessions = new Set<FixSessionHandle>();
  let current: FixSessionHandle | undefined;
  /** Reports produced while no session was logged on; a real gateway stores and delivers them on logon. */
  let backlog: [string, FixFields][] = [];
  const orders = new Map<string, SimOrder>();
  const byClOrdId = new Map<string, string>();
  /** Orders placed before the exchange told us their id: keyed by account + ClOrdID. */
  const placing = new Map<string, string>();
  const received: Record<string, number> = {};
  const wire: FixSimulator['wire'] = [];
  let logons = 0;
  let reportsSent = 0;
  let execSeq = 0;
  let gapNext = 0;
  let rateLimits: number[] = [];
  let loseNext = false;
  let losing = false;
  let duplicate = false;

  const side = (s: Side) => (s === 'buy' ? '1' : '2');
  const price = (contract: Contract, ticks: number | undefined) =>
    ticks === undefined ? undefined : Number(ticksToPrice(ticks, instruments.get(contract.root).tickSize));
  const instrument = (contract: Contract): FixFields => {
    const fields = toFixInstrument(contract, symbology, instruments);
    return version === '4.4' ? { Instrument: { ...fields } } : { ...fields };
  };

  const send = (msgType: string, body: FixFields) => {
    if (losing) return;
    if (!current?.ready) {
      backlog.push([msgType, body]);
      return;
    }
    if (gapNext > 0) {
      current.skipSequence(gapNext);
      gapNext = 0;
    }
    try {
      current.send(msgType, body);
    } catch {
      backlog.push([msgType, body]);
      return;
    }
    if (msgType === '8') reportsSent++;
    if (duplicate && msgType === '8') current.send(msgType, { ...body });
  };

  /** An ExecutionReport in the session's dialect: 4.2 carries 20 and fills as 150=1/2; 4.4 says 150=F. */
  const report = (
    order: BrokerOrder,
    sim: SimOrder,
    kind: 'new' | 'trade' | 'cancelled' | 'replaced' | 'rejected' | 'status',
    extra: {
      clOrdId?: string;
      origClOrdId?: string;
      lastQty?: number;
      lastTicks?: number;
      text?: string;
    } = {},
  ) => {
    const status = ORD_STATUS[order.status];
    let execType: string;
    switch (kind) {
      case 'new':
        execType = '0';
        break;
      case 'trade':
        execType = version === '4.4' ? 'F' : order.status === 'filled' ? '2' : '1';
        break;
      case 'cancelled':
        execType = '4';
        break;
      case 'replaced':
        execType = '5';
        break;
      case 'rejected':
        execType = '8';
        break;
      case 'status':
        execType = version === '4.4' ? 'I' : status;
        break;
    }
    const body: FixFields = {
      OrderID: order.orderId,
      ClOrdID: extra.clOrdId ?? sim.clOrdId,
      ExecID: `E${++execSeq}`,
      ExecType: execType,
      OrdStatus: status,
      Account: order.accountId,
      ...instrument(order.contract),
      Side: side(order.side),
      ...(version === '4.4' ? { OrderQtyData: { OrderQty: order.qty } } : { OrderQty: order.qty }),
      OrdType: Object.entries(ORD_TYPES).find(([, t]) => t === order.orderType)?.[0] ?? '1',
      LeavesQty:
        order.status === 'working' || order.status === 'partially-filled' ? order.qty - order.filledQty : 0,
      CumQty: order.filledQty,
      AvgPx: 0,
      TransactTime: new Date(order.updatedAt),
    };
    if (version === '4.2') body.ExecTransType = kind === 'status' ? '3' : '0';
    if (extra.origClOrdId) body.OrigClOrdID = extra.origClOrdId;
    const limit = price(order.contract, order.limitTicks);
    const stop = price(order.contract, order.stopTicks);
    if (limit !== undefined) body.Price = limit;
    if (stop !== undefined) body.StopPx = stop;
    if (extra.lastQty !== undefined) {
      body[version === '4.4' ? 'LastQty' : 'LastShares'] = extra.lastQty;
      body.LastPx = price(order.contract, extra.lastTicks);
    }
    if (extra.text) body.Text = extra.text;
    send('8', body);
  };

  const onExchange = (event: BrokerEvent) => {
    if (event.type === 'order-updated') {
      const o = event.order;
      let sim = orders.get(o.orderId);
      if (!sim) {
        const clOrdId = placing.get(`${o.accountId}\u0000${o.clientOrderId ?? ''}`);
        if (clOrdId === undefined) return;
        sim = { orderId: o.orderId, clOrdId, accountId: o.accountId, contract: o.contract, announced: false };
        orders.set(o.orderId, sim);
        byClOrdId.set(clOrdId, o.orderId);
      }
      if (o.status === 'rejected') report(o, sim, 'rejected', { text: o.reason ?? 'rejected' });
      else if (o.status === 'cancelled') {
        const c = sim.pendingCancel;
        sim.pendingCancel = undefined;
        report(
          o,
          sim,
          'cancelled',
          c
            ? { clOrdId: c.clOrdId, origClOrdId: c.origClOrdId, text: o.reason ?? '' }
            : { text: o.reason ?? '' },
        );
      } else if (sim.pendingReplace) {
        const r = sim.pendingReplace;
        sim.pendingReplace = undefined;
        sim.clOrdId = r.clOrdId;
        byClOrdId.set(r.clOrdId, o.orderId);
        report(o, sim, 'replaced', { clOrdId: r.clOrdId, origClOrdId: r.origClOrdId });
      } else if (o.status === 'working' && !sim.announced) {
        sim.announced = true;
        if (loseNext) {
          // The order stands but its answer never arrives: the initiator must treat the outcome as unknown.
          loseNext = false;
          losing = true;
          queueMicrotask(() => {
            faults.dropConnections();
            losing = false;
          });
          return;
        }
        report(o, sim, 'new');
      }
    } else if (event.type === 'order-filled') {
      const f = event.fill;
      const sim = orders.get(f.orderId);
      const o = exchange.getOrder(f.orderId);
      if (!sim || !o) return;
      report(o, sim, 'trade', { lastQty: f.qty, lastTicks: f.priceTicks });
    }
  };
  const offExchange = exchange.onEvent(onExchange);

  const businessReject = (ref: string, msgType: string, text: string, reason = '0') =>
    send('j', { RefMsgType: msgType, BusinessRejectRefID: ref, BusinessRejectReason: reason, Text: text });

  const cancelReject = (f: FixFields, responseTo: '1' | '2', reason: string, text: string) => {
    const orderId = byClOrdId.get(String(f.OrigClOrdID ?? '')) ?? 'NONE';
    const order = orderId === 'NONE' ? undefined : exchange.getOrder(orderId);
    send('9', {
      OrderID: orderId,
      ClOrdID: f.ClOrdID,
      OrigClOrdID: f.OrigClOrdID,
      OrdStatus: order ? ORD_STATUS[order.status] : '8',
      CxlRejResponseTo: responseTo,
      CxlRejReason: reason,
      Text: text,
    });
  };

  const ticks = (contract: Contract, value: unknown) =>
    value === undefined || value === null
      ? undefined
      : priceToTicks(String(value), instruments.get(contract.root).tickSize);

  const onMessage = (msgType: string, f: FixFields) => {
    received[msgType] = (received[msgType] ?? 0) + 1;
    const clOrdId = String(f.ClOrdID ?? '');
    const throttle = rateLimits.shift();
    if (throttle !== undefined && (msgType === 'D' || msgType === 'F' || msgType === 'G')) {
      businessReject(clOrdId, msgType, `Throttle limit exceeded, retry after ${throttle} ms`);
      return;
    }
    if (msgType === 'D' && byClOrdId.has(clOrdId)) {
      // A ClOrdID seen before (a retry after a lost answer): report the order's state, never a second order.
      const orderId = byClOrdId.get(clOrdId)!;
      const order = exchange.getOrder(orderId);
      const sim = orders.get(orderId);
      if (order && sim) report(order, sim, 'status', { clOrdId });
      return;
    }
    if (msgType === 'D') {
      let contract: Contract;
      try {
        contract = fromFixInstrument(f, instruments);
      } catch (e) {
        businessReject(clOrdId, msgType, (e as Error).message, '2');
        return;
      }
      const accountId = String(f.Account ?? '');
      const orderType = ORD_TYPES[String(f.OrdType)] ?? 'market';
      placing.set(`${accountId}\u0000${clOrdId}`, clOrdId);
      const request = {
        accountId,
        clientOrderId: clOrdId,
        contract,
        side: (f.Side === '2' ? 'sell' : 'buy') as Side,
        qty: Number(f.OrderQty),
        orderType,
        limitTicks: ticks(contract, f.Price),
        stopTicks: ticks(contract, f.StopPx),
      };
      exchange.placeOrder(request).catch((e: unknown) => {
        if (byClOrdId.has(clOrdId)) return; // the exchange already reported the reject as an order event
        const text = e instanceof Error ? e.message : String(e);
        if (e instanceof BrokerRateLimitedError) {
          businessReject(clOrdId, msgType, `Throttle limit exceeded, retry after ${e.retryAfterMs} ms`);
          return;
        }
        send('8', {
          OrderID: 'NONE',
          ClOrdID: clOrdId,
          ExecID: `E${++execSeq}`,
          ExecType: '8',
          OrdStatus: '8',
          ...(version === '4.2' ? { ExecTransType: '0' } : {}),
          Account: accountId,
          ...instrument(contract),
          Side: f.Side,
          LeavesQty: 0,
          CumQty: 0,
          AvgPx: 0,
          Text: e instanceof BrokerRejectedError ? e.reason : text,
        });
      });
    } else if (msgType === 'F' || msgType === 'G') {
      const orig = String(f.OrigClOrdID ?? '');
      const orderId = byClOrdId.get(orig);
      const sim = orderId === undefined ? undefined : orders.get(orderId);
      const responseTo = msgType === 'F' ? '1' : '2';
      if (!sim || orderId === undefined) {
        cancelReject(f, responseTo, '1', `unknown order ${orig}`);
        return;
      }
      let work: Promise<void>;
      if (msgType === 'F') {
        sim.pendingCancel = { clOrdId, origClOrdId: orig };
        work = exchange.cancelOrder({ accountId: sim.accountId, orderId });
      } else {
        sim.pendingReplace = { clOrdId, origClOrdId: orig };
        const modify: Parameters<SimulatedExchange['modifyOrder']>[0] = { accountId: sim.accountId, orderId };
        if (f.OrderQty !== undefined) modify.qty = Number(f.OrderQty);
        const limit = ticks(sim.contract, f.Price);
        const stop = ticks(sim.contract, f.StopPx);
        if (limit !== undefined) modify.limitTicks = limit;
        if (stop !== undefined) modify.stopTicks = stop;
        work = exchange.modifyOrder(modify);
      }
      work.catch((e: unknown) => {
        sim.pendingCancel = undefined;
        sim.pendingReplace = undefined;
        cancelReject(f, responseTo, '0', e instanceof Error ? e.message : String(e));
      });
    } else if (msgType === 'H') {
      const orderId = byClOrdId.get(clOrdId);
      const sim = orderId === undefined ? undefined : orders.get(orderId);
      const order = orderId === undefined ? undefined : exchange.getOrder(orderId);
      if (sim && order) report(order, sim, 'status');
      else businessReject(clOrdId, msgType, `unknown order ${clOrdId}`, '1');
    } else {
      businessReject(clOrdId, msgType, `unsupported message type ${msgType}`, '3');
    }
  };

  const description = {
    application: {
      type: 'acceptor',
      name: 'tradenova-fix-simulator',
      protocol: 'ascii',
      dictionary: version === '4.2' ? 'qf42' : 'qf44',
      tcp: { host: '127.0.0.1', port },
    },
    BeginString: version === '4.2' ? 'FIX.4.2' : 'FIX.4.4',
    SenderCompId: senderCompId,
    TargetCompID: targetCompId,
    HeartBtInt: 30,
    EncryptMethod: 0,
    ResetSeqNumFlag: false,
    store: { type: 'memory' },
  } as unknown as ISessionDescription;

  const store = await sharedMemoryStore();
  const launcher: RunningLauncher = await launchFix(
    description,
    () => ({
      onReady: (session) => {
        logons++;
        current = session;
        const queued = backlog;
        backlog = [];
        for (const [t, b] of queued) send(t, b);
      },
      onMessage,
      onStopped: (_error, session) => {
        sessions.delete(session);
        if (current === session) current = undefined;
      },
      onLogon: (fields, username, password) => {
        const c = options.credentials;
        const user = username ?? (fields.Username as string | undefined);
        const pass = password ?? (fields.Password as string | undefined);
        return !c || (user === c.username && pass === c.password);
      },
      onRaw: (direction, msgType, text) => {
        wire.push({ direction, msgType, text });
        if (wire.length > 2_000) wire.splice(0, wire.length - 2_000);
      },
    }),
    store,
  );
  // Track every session handle so drops reach connections not yet logged on, too.
  const trackReady = setInterval(() => {
    if (current) sessions.add(current);
  }, 20);
  trackReady.unref();
  // Give the listener a moment to bind before the first initiator connects.
  await new Promise((r) => setTimeout(r, 30));

  const faults: FixSimulatorFaults = {
    sequenceGapNext: (n = 1) => {
      gapNext = n;
    },
    requestResend: (begin = 1) => current?.requestResend(begin),
    dropConnections: () => {
      const live = [...sessions, ...(current ? [current] : [])];
      // From now on reports wait in the backlog for the next logon, as a gateway's store would keep them.
      current = undefined;
      for (const s of live) s.drop();
    },
    rejectNext: (n = 1, reason) => exchange.faults.rejectNext(n, reason),
    rateLimitNext: (n = 1, retryAfterMs = 1_000) => {
      for (let i = 0; i < n; i++) rateLimits.push(retryAfterMs);
    },
    loseNextResponse: () => {
      loseNext = true;
    },
    duplicateReports: (on) => {
      duplicate = on;
    },
  };

  return {
    port,
    version,
    exchange,
    faults,
    wire,
    stats: () => ({
      logons,
      received: { ...received },
      reportsSent,
      sequence: current?.sequence() ?? { sent: 0, received: 0 },
    }),
    close: async () => {
      clearInterval(trackReady);
      offExchange();
      rateLimits = [];
      for (const s of sessions) s.drop();
      current?.drop();
      launcher.stop();
      await Promise.race([launcher.done, new Promise((r) => setTimeout(r, 500))]);
    },
  };
}
