/** The FIX acceptor behind `startFixSimulator`: sessions, order handling, faults. */
import {
  averageTicksToPrice,
  type BrokerEvent,
  type BrokerOrder,
  BrokerRateLimitedError,
  BrokerRejectedError,
  type Contract,
  defaultInstruments,
  type InstrumentRegistry,
  priceToTicks,
  type Side,
  SimulatedExchange,
  sameContract,
  systemClock,
  ticksToPrice,
} from '@tradenova/core';
import type { ISessionDescription } from 'jspurefix';
import type {
  FixSessionHandle,
  FixSessionHandlers,
  RunningLauncher,
  SharedSessionStore,
} from '../client/session.js';
import type { FixSymbology } from '../config.js';
import { FixSimulatorError } from '../errors.js';
import { fromFixInstrument, toFixInstrument } from '../symbols.js';
import { type FixFields, type FixVersion, ORD_STATUS, ORD_TYPES } from '../wire.js';

/** Options of `startFixSimulator`. */
export interface FixSimulatorOptions {
  /** TCP port on 127.0.0.1; a free one when absent. */
  port?: number;
  version: FixVersion;
  /** The exchange behind the acceptor; a fresh one (system clock) when absent. */
  exchange?: SimulatedExchange;
  /** Our CompID (the initiator's TargetCompID), `FIXSIM` by default. */
  senderCompId?: string;
  /** When set, only an initiator with this SenderCompID may log on; any CompID by default. */
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
  /** Drops every TCP connection at once (no Logout); reports wait for each initiator's next logon. */
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
  /** Counters for tests: logons served, messages received by type, reports sent; sequence of the latest session. */
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
  /** CompID of the initiator that placed the order: its reports go to that session. */
  peer: string;
  orderId: string;
  clOrdId: string;
  accountId: string;
  contract: Contract;
  /** Requests awaiting the exchange event that answers them. */
  pendingCancel?: { clOrdId: string; origClOrdId: string };
  pendingReplace?: { clOrdId: string; origClOrdId: string };
  announced: boolean;
  /** Sum of qty × price in ticks over the order's fills, for AvgPx (6). */
  filledTicks: number;
  /** TimeInForce (59) as placed, restated on every report (a restarted initiator learns it there). */
  timeInForce?: string;
}

/**
 * What the gateway keeps beyond one run of its front end: its orders by ClOrdID, the
 * ClOrdIDs each initiator used, the ExecID counter, the sessions' sequence numbers and
 * sent messages, and the reports not delivered yet. A real gateway keeps these in its
 * database across its own restart; the simulator keeps them per exchange.
 */
interface Gateway {
  readonly version: FixVersion;
  readonly store: SharedSessionStore;
  readonly handlers: Omit<FixSessionHandlers, 'onLogon'>;
  readonly faults: FixSimulatorFaults;
  readonly wire: FixSimulator['wire'];
  /** A front end serves this gateway now. */
  attached: boolean;
  stats: FixSimulator['stats'];
  /** Drops every session at once (the front end stops). */
  dropAll(): void;
}

/** The gateway of each exchange a FIX front end served, for the next front end (a restart). */
const gateways = new WeakMap<SimulatedExchange, Gateway>();

/**
 * The gateway behind a new front end: the one an earlier front end on this exchange left
 * (same version, none attached now) — the restart of a gateway with its records intact —
 * or a new one.
 */
async function gatewayFor(
  exchange: SimulatedExchange,
  version: FixVersion,
  symbology: FixSymbology,
): Promise<Gateway> {
  const kept = gateways.get(exchange);
  if (kept && !kept.attached && kept.version === version) return kept;
  const made = await createGateway(exchange, version, symbology);
  if (!kept?.attached) gateways.set(exchange, made);
  return made;
}

/** Starts a FIX acceptor on loopback backed by a simulated exchange. */
export async function startFixSimulator(options: FixSimulatorOptions): Promise<FixSimulator> {
  const { launchFix } = await import('../client/session.js');
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
  const senderCompId = options.senderCompId ?? 'FIXSIM';
  const gateway = await gatewayFor(exchange, version, symbology);
  gateway.attached = true;

  const description = {
    application: {
      type: 'acceptor',
      name: 'tradenova-fix-simulator',
      protocol: 'ascii',
      dictionary: version === '4.2' ? 'qf42' : 'qf44',
      tcp: { host: '127.0.0.1', port: options.port ?? 0 },
    },
    BeginString: version === '4.2' ? 'FIX.4.2' : 'FIX.4.4',
    SenderCompId: senderCompId,
    // The wildcard makes jspurefix bind each connection to the initiator named in its Logon:
    // the session's store is read, and any older session of that initiator stopped, at logon.
    TargetCompID: '*',
    HeartBtInt: 30,
    EncryptMethod: 0,
    ResetSeqNumFlag: false,
    store: { type: 'memory' },
  } as unknown as ISessionDescription;

  const launcher: RunningLauncher = await launchFix(
    description,
    () => ({
      ...gateway.handlers,
      onLogon: (fields, username, password) => {
        if (options.targetCompId !== undefined && fields.SenderCompID !== options.targetCompId) return false;
        const c = options.credentials;
        const user = username ?? (fields.Username as string | undefined);
        const pass = password ?? (fields.Password as string | undefined);
        return !c || (user === c.username && pass === c.password);
      },
    }),
    gateway.store,
  );
  let port: number;
  try {
    port = await launcher.listening;
  } catch (error) {
    launcher.stop();
    gateway.attached = false;
    throw new FixSimulatorError(
      `FIX simulator cannot listen on 127.0.0.1:${options.port ?? 0}: ${(error as Error).message}`,
      { cause: error },
    );
  }

  return {
    port,
    version,
    exchange,
    faults: gateway.faults,
    wire: gateway.wire,
    stats: () => gateway.stats(),
    close: async () => {
      // The gateway's records stay with the exchange: reports from now on wait for the next logon.
      gateway.dropAll();
      launcher.stop();
      await Promise.race([launcher.done, new Promise((r) => setTimeout(r, 500))]);
      gateway.attached = false;
    },
  };
}

/** The gateway's records and its order handling, in front of `exchange`. */
async function createGateway(
  exchange: SimulatedExchange,
  version: FixVersion,
  symbology: FixSymbology,
): Promise<Gateway> {
  const { sharedMemoryStore } = await import('../client/session.js');
  const instruments = exchange.instruments;

  /** Every session with a live socket, logged on or not (so a drop reaches them all). */
  const live = new Set<FixSessionHandle>();
  /** The logged-on session of each initiator CompID. */
  const byPeer = new Map<string, FixSessionHandle>();
  /** The session that logged on last: the target of fault injections aimed at "the" session. */
  let latest: FixSessionHandle | undefined;
  /** Per initiator: reports produced while it was not logged on; a gateway stores and delivers them on logon. */
  const backlog = new Map<string, [string, FixFields][]>();
  const orders = new Map<string, SimOrder>();
  /**
   * Every ClOrdID each initiator has used (orders, replaces, cancels): FIX requires them
   * unique per session, and a repeat is refused, never taken as a second order nor ignored.
   */
  const usedClOrdIds = new Map<string, Set<string>>();
  /** NewOrderSingles refused before they became orders, by initiator and ClOrdID: the reason, for a resend. */
  const refused = new Map<string, string>();
  const used = (peer: string) => {
    let ids = usedClOrdIds.get(peer);
    if (!ids) {
      ids = new Set();
      usedClOrdIds.set(peer, ids);
    }
    return ids;
  };
  const byClOrdId = new Map<string, string>();
  /** Orders placed before the exchange told us their id: keyed by account + ClOrdID. */
  const placing = new Map<string, { clOrdId: string; peer: string; timeInForce?: string }>();
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
  /** The average fill price (AvgPx) from the sum of qty × ticks; 0 before any fill. */
  const averagePrice = (contract: Contract, totalTicks: number, qty: number) =>
    qty === 0 ? 0 : Number(averageTicksToPrice(totalTicks, qty, instruments.get(contract.root).tickSize));
  const instrument = (contract: Contract): FixFields => {
    const fields = toFixInstrument(contract, symbology, instruments);
    return version === '4.4' ? { Instrument: { ...fields } } : { ...fields };
  };

  const keep = (peer: string, msgType: string, body: FixFields) => {
    const queue = backlog.get(peer) ?? [];
    queue.push([msgType, body]);
    backlog.set(peer, queue);
  };

  /** Sends to the initiator `peer`, or keeps the message until it logs on again. */
  const send = (peer: string, msgType: string, body: FixFields) => {
    if (losing) return;
    const session = byPeer.get(peer);
    if (!session?.ready) {
      keep(peer, msgType, body);
      return;
    }
    if (gapNext > 0) {
      session.skipSequence(gapNext);
      gapNext = 0;
    }
    try {
      session.send(msgType, body);
    } catch {
      keep(peer, msgType, body);
      return;
    }
    if (msgType === '8') reportsSent++;
    if (duplicate && msgType === '8') session.send(msgType, { ...body });
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
      /** The session to answer when it is not the order's (a status request from another session). */
      to?: string;
      /** A status report answering OrderMassStatusRequest: 584, 911 and 912. */
      mass?: { reqId: string; total: number; last: boolean };
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
      AvgPx: averagePrice(order.contract, sim.filledTicks, order.filledQty),
      TransactTime: new Date(order.updatedAt),
    };
    if (version === '4.2') body.ExecTransType = kind === 'status' ? '3' : '0';
    if (extra.origClOrdId) body.OrigClOrdID = extra.origClOrdId;
    const limit = price(order.contract, order.limitTicks);
    const stop = price(order.contract, order.stopTicks);
    if (limit !== undefined) body.Price = limit;
    if (stop !== undefined) body.StopPx = stop;
    if (sim.timeInForce !== undefined) body.TimeInForce = sim.timeInForce;
    if (extra.lastQty !== undefined) {
      body[version === '4.4' ? 'LastQty' : 'LastShares'] = extra.lastQty;
      body.LastPx = price(order.contract, extra.lastTicks);
    }
    if (extra.text) body.Text = extra.text;
    if (extra.mass) {
      body.MassStatusReqID = extra.mass.reqId;
      body.TotNumReports = extra.mass.total;
      body.LastRptRequested = extra.mass.last;
    }
    send(extra.to ?? sim.peer, '8', body);
  };

  const onExchange = (event: BrokerEvent) => {
    if (event.type === 'order-updated') {
      const o = event.order;
      let sim = orders.get(o.orderId);
      if (!sim) {
        const placed = placing.get(`${o.accountId}\u0000${o.clientOrderId ?? ''}`);
        if (placed === undefined) return;
        const { clOrdId, peer, timeInForce } = placed;
        sim = {
          peer,
          orderId: o.orderId,
          clOrdId,
          accountId: o.accountId,
          contract: o.contract,
          announced: false,
          filledTicks: 0,
        };
        if (timeInForce !== undefined) sim.timeInForce = timeInForce;
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
      sim.filledTicks += f.qty * f.priceTicks;
      report(o, sim, 'trade', { lastQty: f.qty, lastTicks: f.priceTicks });
    }
  };
  // For the gateway's life, not one front end's: reports made while no front end runs wait in the backlog.
  exchange.onEvent(onExchange);

  const businessReject = (peer: string, ref: string, msgType: string, text: string, reason = '0') =>
    send(peer, 'j', {
      RefMsgType: msgType,
      BusinessRejectRefID: ref,
      BusinessRejectReason: reason,
      Text: text,
    });

  const cancelReject = (peer: string, f: FixFields, responseTo: '1' | '2', reason: string, text: string) => {
    const orderId = byClOrdId.get(String(f.OrigClOrdID ?? '')) ?? 'NONE';
    const order = orderId === 'NONE' ? undefined : exchange.getOrder(orderId);
    send(peer, '9', {
      OrderID: orderId,
      ClOrdID: f.ClOrdID,
      OrigClOrdID: f.OrigClOrdID,
      OrdStatus: order ? ORD_STATUS[order.status] : '8',
      CxlRejResponseTo: responseTo,
      CxlRejReason: reason,
      Text: text,
    });
  };

  /** An ExecutionReport rejecting a NewOrderSingle that never became an order (OrdRejReason 103 when given). */
  const rejectNew = (peer: string, f: FixFields, text: string, reason?: string) => {
    let fields: FixFields;
    try {
      fields = instrument(fromFixInstrument(f, instruments));
    } catch {
      fields = version === '4.4' ? { Instrument: { Symbol: f.Symbol ?? '' } } : { Symbol: f.Symbol ?? '' };
    }
    send(peer, '8', {
      OrderID: 'NONE',
      ClOrdID: f.ClOrdID,
      ExecID: `E${++execSeq}`,
      ExecType: '8',
      OrdStatus: '8',
      ...(version === '4.2' ? { ExecTransType: '0' } : {}),
      Account: f.Account,
      ...fields,
      Side: f.Side,
      ...(version === '4.4' ? { OrderQtyData: { OrderQty: f.OrderQty } } : { OrderQty: f.OrderQty }),
      LeavesQty: 0,
      CumQty: 0,
      AvgPx: 0,
      ...(reason === undefined ? {} : { OrdRejReason: reason }),
      Text: text,
    });
  };

  const ticks = (contract: Contract, value: unknown) =>
    value === undefined || value === null
      ? undefined
      : priceToTicks(String(value), instruments.get(contract.root).tickSize);

  /**
   * OrderMassStatusRequest (AF, FIX 4.4): one ExecutionReport 150=I per working order of
   * the account (tag 1, all accounts without it), of every session; 585=7 all orders,
   * 585=1 those of the instrument in the request. 911 counts the reports, 912=Y marks the
   * last. No working order: one report for no order (37=NONE, 39=8, 911=0, 912=Y).
   */
  const massStatus = (peer: string, f: FixFields) => {
    const reqId = String(f.MassStatusReqID ?? '');
    const type = String(f.MassStatusReqType ?? '');
    if (type !== '7' && type !== '1') {
      businessReject(peer, reqId, 'AF', `MassStatusReqType ${type} not supported (1 and 7 are)`, '0');
      return;
    }
    let contract: Contract | undefined;
    if (type === '1') {
      try {
        contract = fromFixInstrument(f, instruments);
      } catch (e) {
        businessReject(peer, reqId, 'AF', (e as Error).message, '2');
        return;
      }
    }
    const account = f.Account === undefined ? undefined : String(f.Account);
    const matching = [...orders.values()]
      .map((sim) => ({ sim, order: exchange.getOrder(sim.orderId) }))
      .filter(
        (m): m is { sim: SimOrder; order: BrokerOrder } =>
          m.order !== undefined &&
          (m.order.status === 'working' || m.order.status === 'partially-filled') &&
          (account === undefined || m.order.accountId === account) &&
          (contract === undefined || sameContract(m.order.contract, contract)),
      )
      .sort((a, b) => a.sim.orderId.localeCompare(b.sim.orderId));
    for (const [i, { sim, order }] of matching.entries()) {
      report(order, sim, 'status', {
        to: peer,
        mass: { reqId, total: matching.length, last: i === matching.length - 1 },
      });
    }
    if (matching.length > 0) return;
    send(peer, '8', {
      OrderID: 'NONE',
      ExecID: `E${++execSeq}`,
      ExecType: 'I',
      OrdStatus: '8',
      MassStatusReqID: reqId,
      TotNumReports: 0,
      LastRptRequested: true,
      ...(account === undefined ? {} : { Account: account }),
      ...(contract ? instrument(contract) : { Instrument: { Symbol: '[N/A]' } }),
      Side: f.Side ?? '1',
      LeavesQty: 0,
      CumQty: 0,
      AvgPx: 0,
      Text: 'no working orders',
    });
  };

  /**
   * RequestForPositions (AN, FIX 4.4, 724=0 positions) of an account: a
   * RequestForPositionsAck (AO) with the count, then one PositionReport (AP) per open
   * position with LongQty / ShortQty in the PositionQty group. The simulator puts the
   * position's average entry price in SettlPrice (730, type 2 theoretical), where a
   * clearing gateway puts the settlement price.
   */
  const positionsOf = (peer: string, f: FixFields) => {
    const reqId = String(f.PosReqID ?? '');
    const account = String(f.Account ?? '');
    const ack = (result: string, total: number, text?: string) =>
      send(peer, 'AO', {
        PosMaintRptID: `P${++execSeq}`,
        PosReqID: reqId,
        TotalNumPosReports: total,
        PosReqResult: result,
        PosReqStatus: result === '0' || result === '2' ? '0' : '2',
        Account: account,
        AccountType: '1',
        ...(text ? { Text: text } : {}),
      });
    if (String(f.PosReqType ?? '') !== '0') {
      ack('4', 0, `PosReqType ${String(f.PosReqType ?? '')} not supported (0 positions is)`);
      return;
    }
    if (!exchange.hasAccount(account)) {
      ack('3', 0, `unknown account ${account}`);
      return;
    }
    const positions = exchange.getPositions(account).filter((p) => p.netQty !== 0);
    ack(positions.length === 0 ? '2' : '0', positions.length);
    for (const p of positions) {
      const average = Number(
        averageTicksToPrice(
          Math.round(p.avgPriceTicks * Math.abs(p.netQty)),
          Math.abs(p.netQty),
          instruments.get(p.contract.root).tickSize,
        ),
      );
      send(peer, 'AP', {
        PosMaintRptID: `P${++execSeq}`,
        PosReqID: reqId,
        PosReqType: '0',
        TotalNumPosReports: positions.length,
        PosReqResult: '0',
        ClearingBusinessDate: businessDate(exchange.clock.now()),
        Account: account,
        AccountType: '1',
        ...instrument(p.contract),
        SettlPrice: average,
        SettlPriceType: '2',
        PriorSettlPrice: average,
        PositionQty: {
          NoPositions: [{ PosType: 'TQ', LongQty: Math.max(p.netQty, 0), ShortQty: Math.max(-p.netQty, 0) }],
        },
      });
    }
  };

  const onMessage = (msgType: string, f: FixFields, session: FixSessionHandle) => {
    const peer = session.peer;
    received[msgType] = (received[msgType] ?? 0) + 1;
    const clOrdId = String(f.ClOrdID ?? '');
    const throttle = rateLimits.shift();
    if (throttle !== undefined && (msgType === 'D' || msgType === 'F' || msgType === 'G')) {
      businessReject(peer, clOrdId, msgType, `Throttle limit exceeded, retry after ${throttle} ms`);
      return;
    }
    const ids = used(peer);
    if (msgType === 'D' && ids.has(clOrdId)) {
      if (f.PossResend === true || f.PossResend === 'Y') {
        // A resend of an order whose answer was lost (PossResend=Y): its state, never a second order.
        // While the first is still being placed its own answer is on the way.
        const orderId = byClOrdId.get(clOrdId);
        const order = orderId === undefined ? undefined : exchange.getOrder(orderId);
        const sim = orderId === undefined ? undefined : orders.get(orderId);
        const refusal = refused.get(`${peer}\u0000${clOrdId}`);
        if (order && sim) report(order, sim, 'status', { clOrdId });
        // Refused before it became an order: the same refusal again.
        else if (refusal !== undefined) rejectNew(peer, f, refusal);
        // Neither an order nor one being placed (the ClOrdID named a cancel or replace): a duplicate.
        else if (!placing.has(`${String(f.Account ?? '')}\u0000${clOrdId}`))
          rejectNew(peer, f, `duplicate ClOrdID ${clOrdId}`, '6');
        return;
      }
      rejectNew(peer, f, `duplicate ClOrdID ${clOrdId}`, '6');
      return;
    }
    if ((msgType === 'F' || msgType === 'G') && ids.has(clOrdId)) {
      cancelReject(peer, f, msgType === 'F' ? '1' : '2', '6', `duplicate ClOrdID ${clOrdId}`);
      return;
    }
    if (clOrdId && (msgType === 'D' || msgType === 'F' || msgType === 'G')) ids.add(clOrdId);
    if (msgType === 'D') {
      let contract: Contract;
      try {
        contract = fromFixInstrument(f, instruments);
      } catch (e) {
        refused.set(`${peer}\u0000${clOrdId}`, (e as Error).message);
        businessReject(peer, clOrdId, msgType, (e as Error).message, '2');
        return;
      }
      const accountId = String(f.Account ?? '');
      const orderType = ORD_TYPES[String(f.OrdType)] ?? 'market';
      placing.set(`${accountId}\u0000${clOrdId}`, {
        clOrdId,
        peer,
        ...(f.TimeInForce === undefined ? {} : { timeInForce: String(f.TimeInForce) }),
      });
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
          businessReject(peer, clOrdId, msgType, `Throttle limit exceeded, retry after ${e.retryAfterMs} ms`);
          return;
        }
        const reason = e instanceof BrokerRejectedError ? e.reason : text;
        refused.set(`${peer}\u0000${clOrdId}`, reason);
        rejectNew(peer, f, reason);
      });
    } else if (msgType === 'F' || msgType === 'G') {
      const orig = String(f.OrigClOrdID ?? '');
      const orderId = byClOrdId.get(orig);
      const sim = orderId === undefined ? undefined : orders.get(orderId);
      const responseTo = msgType === 'F' ? '1' : '2';
      if (!sim || orderId === undefined) {
        cancelReject(peer, f, responseTo, '1', `unknown order ${orig}`);
        return;
      }
      // The session that asks to cancel or replace an order (a restarted initiator) hears its
      // answer and the order's later reports.
      sim.peer = peer;
      let work: Promise<void>;
      if (msgType === 'F') {
        sim.pendingCancel = { clOrdId, origClOrdId: orig };
        work = exchange.cancelOrder({ accountId: sim.accountId, orderId });
      } else {
        sim.pendingReplace = { clOrdId, origClOrdId: orig };
        if (f.TimeInForce !== undefined) sim.timeInForce = String(f.TimeInForce);
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
        cancelReject(peer, f, responseTo, '0', e instanceof Error ? e.message : String(e));
      });
    } else if (msgType === 'H') {
      // Any session may ask about an order of an account (a restarted initiator asks about
      // what its earlier session placed); the answer goes to the asker and carries the
      // ClOrdID asked about.
      const orderId = byClOrdId.get(clOrdId);
      const sim = orderId === undefined ? undefined : orders.get(orderId);
      const order = orderId === undefined ? undefined : exchange.getOrder(orderId);
      const account = f.Account === undefined ? undefined : String(f.Account);
      if (sim && order && (account === undefined || account === order.accountId))
        report(order, sim, 'status', { clOrdId, to: peer });
      else businessReject(peer, clOrdId, msgType, `unknown order ${clOrdId}`, '1');
    } else if (version === '4.4' && msgType === 'AF') {
      massStatus(peer, f);
    } else if (version === '4.4' && msgType === 'AN') {
      positionsOf(peer, f);
    } else {
      businessReject(peer, clOrdId, msgType, `unsupported message type ${msgType}`, '3');
    }
  };

  const store = await sharedMemoryStore();
  const handlers: Gateway['handlers'] = {
    onCreated: (session) => {
      live.add(session);
    },
    // QuickFIX "1b DuplicateIdentity": a logon for an initiator whose session is logged on
    // is refused and the first session carries on. One whose session is logging out or whose
    // socket is closing (a restart that reconnects at once) is let in and replaces it.
    admit: (peer) => !byPeer.get(peer)?.active,
    onReady: (session) => {
      logons++;
      const peer = session.peer;
      byPeer.set(peer, session);
      latest = session;
      const queued = backlog.get(peer) ?? [];
      backlog.delete(peer);
      for (const [t, b] of queued) send(peer, t, b);
    },
    onMessage,
    onStopped: (_error, session) => {
      live.delete(session);
      if (byPeer.get(session.peer) === session) byPeer.delete(session.peer);
      if (latest === session) latest = undefined;
    },
    onRaw: (direction, msgType, text) => {
      wire.push({ direction, msgType, text });
      if (wire.length > 2_000) wire.splice(0, wire.length - 2_000);
    },
    // OrderStatusRequest needs only the ClOrdID here, as at CQG's gateway: a restarted
    // initiator asks about a ClOrdID it journaled without knowing the order's side or contract.
    notRequired: { H: [54, 55, 167, 200, 207] },
  };

  const faults: FixSimulatorFaults = {
    sequenceGapNext: (n = 1) => {
      gapNext = n;
    },
    requestResend: (begin = 1) => latest?.requestResend(begin),
    dropConnections: () => {
      // From now on reports wait in each initiator's backlog for its next logon, as a gateway's store would keep them.
      byPeer.clear();
      latest = undefined;
      for (const s of [...live]) s.drop();
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
    version,
    store,
    handlers,
    faults,
    wire,
    attached: false,
    stats: () => ({
      logons,
      received: { ...received },
      reportsSent,
      sequence: latest?.sequence() ?? { sent: 0, received: 0 },
    }),
    dropAll: () => {
      rateLimits = [];
      byPeer.clear();
      latest = undefined;
      for (const s of [...live]) s.drop();
    },
  };
}

/** LocalMktDate `YYYYMMDD` (UTC) of a time in ms: ClearingBusinessDate (715). */
function businessDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}
