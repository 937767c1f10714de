import {
  type BrokerConnection,
  createEngine,
  type Engine,
  type EngineConfigInput,
  type EngineEvent,
  PaperBroker,
  parseContract,
  parseEngineConfig,
  priceToTicks,
  SimulatedExchange,
  VirtualClock,
} from '../../src/index.js';

export const T0 = Date.parse('2025-11-24T14:30:00.000Z');
export const MNQ = parseContract('MNQZ25');
export const NQ = parseContract('NQZ25');

/** Long positions the accounts already hold before a run starts (market buys on the exchange). */
export async function holdBefore(
  exchange: SimulatedExchange,
  contract: typeof MNQ,
  holdings: Record<string, number>,
): Promise<void> {
  for (const [accountId, qty] of Object.entries(holdings)) {
    await exchange.placeOrder({
      accountId,
      clientOrderId: `before-${accountId}`,
      contract,
      side: 'buy',
      qty,
      orderType: 'market',
    });
  }
}

/** An engine on one paper exchange with a virtual clock, and everything it emitted. */
export async function paperEngine(
  followers: EngineConfigInput['followers'],
  options: {
    latencyMs?: number;
    deadlineMs?: number;
    extra?: Partial<EngineConfigInput>;
    /** When the engine's clock starts (a later run of the same copier). */
    startAt?: number;
    /** Puts something between the engine and the paper broker (a broker that misreports). */
    wrap?: (paper: BrokerConnection) => BrokerConnection;
  } = {},
) {
  const clock = new VirtualClock(options.startAt ?? T0);
  const config = parseEngineConfig({
    leader: { account: 'LEAD' },
    followers,
    engine: { orderDeadlineMs: options.deadlineMs ?? 2500 },
    ...options.extra,
  });
  const exchange = new SimulatedExchange({ clock, latencyMs: options.latencyMs ?? 0, idPrefix: 'P' });
  const connections: Record<string, BrokerConnection> = {
    paper: new PaperBroker(
      exchange,
      config.followers.map((f) => f.account),
      { startingBalance: 50_000_000 },
    ),
  };
  if (options.wrap) connections.paper = options.wrap(connections.paper!);
  const engine: Engine = createEngine(config, { clock, connections });
  connectionsByEngine.set(engine, connections.paper!);
  const events: EngineEvent[] = [];
  engine.on((e) => events.push(e));
  await engine.start();
  const price = (c: typeof MNQ, p: string) => {
    const ticks = priceToTicks(p, '0.25');
    exchange.updateQuote(c, { bidTicks: ticks - 1, askTicks: ticks });
    exchange.updateTrade(c, ticks);
    engine.mark(c, { last: ticks });
  };
  /** A leader market order that filled at `fill`: sets the market, submits, then books the leader fill. */
  const leaderMarket = async (
    id: string,
    side: 'buy' | 'sell',
    qty: number,
    fill: string,
    extra: object = {},
    c = MNQ,
  ) => {
    price(c, fill);
    const result = engine.submit({
      signalId: id,
      action: 'new',
      leaderOrderId: `L-${id}`,
      instrument: `${c.root}Z5`,
      side,
      qty,
      orderType: 'market',
      fillPrice: fill,
      time: clock.now(),
      ...extra,
    });
    engine.applyLeaderFill({ contract: c, side, qty, priceTicks: priceToTicks(fill, '0.25') });
    await clock.runUntilIdle();
    return result;
  };
  const net = (name: string, c = MNQ) =>
    engine.positions(name).find((p) => p.contract.root === c.root)?.netQty ?? 0;
  return { clock, engine, exchange, events, price, leaderMarket, net, config };
}

/** Drops the paper connection of an engine built by `paperEngine`. */
export async function disconnectPaper(engine: Engine): Promise<void> {
  await connectionOf(engine).disconnect();
}

/** Brings it back. */
export async function reconnectPaper(engine: Engine): Promise<void> {
  await connectionOf(engine).connect();
}

const connectionsByEngine = new WeakMap<Engine, BrokerConnection>();
/** The paper connection of an engine built by `paperEngine` (to make its broker misbehave). */
export function connectionOf(engine: Engine): BrokerConnection {
  const c = connectionsByEngine.get(engine);
  if (!c) throw new Error('not a paperEngine engine');
  return c;
}
