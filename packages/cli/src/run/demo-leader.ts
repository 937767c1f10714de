import {
  type BrokerConnection,
  type Contract,
  defaultInstruments,
  type Engine,
  frontMonth,
  type Side,
  type SimulatedExchange,
} from '@tradenova/core';
import { createRng, type Rng } from '@tradenova/core/paper';

/** What the scripted leader needs: where to trade, where prices go. */
export interface DemoLeaderOptions {
  connection: BrokerConnection;
  accountId: string;
  exchanges: readonly SimulatedExchange[];
  engine: Engine;
  seed: number;
  /** Ms between price ticks (200 by default). */
  tickMs?: number;
  /** Ms from start to the first entry (800 by default: well under 5 s to the first copy). */
  firstEntryMs?: number;
  /** Errors of the script (an order the leader's broker refused); the demo goes on. */
  onError?: (error: unknown) => void;
}

/** A running scripted leader. */
export interface DemoLeader {
  /** Stops trading and the price feed; resolves when the step in progress is done. */
  stop(): Promise<void>;
}

interface Instrument {
  contract: Contract;
  ticks: number;
}

/**
 * A leader that trades MNQ and MES through a realistic session on its own
 * (simulated) account, over a seeded random walk of prices fed to every
 * simulated exchange and to the engine's marks: market entries with brackets,
 * a moved stop, a resting limit cancelled, a reversal, a flatten; then again.
 * The engine learns of it only through the leader's broker events, as it would
 * of a person trading.
 */
export function startDemoLeader(options: DemoLeaderOptions): DemoLeader {
  const rng = createRng(options.seed);
  const now = Date.now();
  const mnq: Instrument = { contract: frontMonth(defaultInstruments.get('MNQ'), now), ticks: 84_000 };
  const mes: Instrument = { contract: frontMonth(defaultInstruments.get('MES'), now), ticks: 24_000 };
  const tickMs = options.tickMs ?? 200;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  let current: Promise<void> = Promise.resolve();

  const feed = (inst: Instrument) => {
    const bid = inst.ticks;
    for (const x of options.exchanges) {
      x.updateQuote(inst.contract, { bidTicks: bid, askTicks: bid + 1 });
      x.updateTrade(inst.contract, bid);
    }
    options.engine.mark(inst.contract, { last: bid, bid, ask: bid + 1 });
  };
  const walk = () => {
    for (const inst of [mnq, mes]) {
      inst.ticks += step(rng);
      feed(inst);
    }
  };
  feed(mnq);
  feed(mes);
  const priceTimer = setInterval(walk, tickMs);
  timers.add(priceTimer);

  const account = options.accountId;
  const c = options.connection;
  const place = (inst: Instrument, side: Side, qty: number, slTicks?: number, tpTicks?: number, id = 'm') => {
    const sign = side === 'buy' ? 1 : -1;
    return c.placeOrder({
      accountId: account,
      clientOrderId: `demo-${id}-${Date.now()}-${Math.floor(rng() * 1e6)}`,
      contract: inst.contract,
      side,
      qty,
      orderType: 'market',
      ...(slTicks !== undefined && tpTicks !== undefined
        ? {
            bracket: {
              stopLossTicks: inst.ticks - sign * slTicks,
              takeProfitTicks: inst.ticks + sign * tpTicks,
            },
          }
        : {}),
    });
  };
  const cancelBracket = async (contract: Contract) => {
    for (const o of await c.getOpenOrders(account)) {
      if (o.contract.root === contract.root && o.parentOrderId !== undefined)
        await c.cancelOrder({ accountId: account, orderId: o.orderId });
    }
  };

  let mnqStop: string | undefined;
  let limitId: string | undefined;
  // The session: [ms after the cycle starts, step]. Each step runs after the previous one finished.
  const script: [number, () => Promise<void>][] = [
    [
      0,
      async () => {
        const ack = await place(mnq, 'buy', 2, 40, 80, 'mnq');
        mnqStop = ack.childOrderIds?.stopLoss;
      },
    ],
    [1200, async () => void (await place(mes, 'buy', 1, 16, 32, 'mes'))],
    [
      3000,
      async () => {
        // Trail the MNQ stop up to 12 ticks under the market.
        if (mnqStop) await c.modifyOrder({ accountId: account, orderId: mnqStop, stopTicks: mnq.ticks - 12 });
      },
    ],
    [
      4500,
      async () => {
        const ack = await c.placeOrder({
          accountId: account,
          clientOrderId: `demo-lmt-${Date.now()}`,
          contract: mnq.contract,
          side: 'buy',
          qty: 1,
          orderType: 'limit',
          limitTicks: mnq.ticks - 40,
        });
        limitId = ack.orderId;
      },
    ],
    [
      6000,
      async () => {
        // Reversal: long 1 MES to short 1, with a fresh bracket.
        await cancelBracket(mes.contract);
        await place(mes, 'sell', 2, 16, 32, 'mes-rev');
      },
    ],
    [
      7500,
      async () => {
        if (limitId) await c.cancelOrder({ accountId: account, orderId: limitId }).catch(() => undefined);
      },
    ],
    [10_000, async () => void (await c.flatten({ accountId: account }))],
  ];
  const cycleMs = 12_000;

  const schedule = (cycleStart: number) => {
    for (const [at, run] of script) {
      const t = setTimeout(() => {
        timers.delete(t);
        if (stopped) return;
        current = current.then(run).catch((e: unknown) => options.onError?.(e));
      }, cycleStart + at);
      timers.add(t);
    }
    const next = setTimeout(() => {
      timers.delete(next);
      if (!stopped) schedule(0);
    }, cycleStart + cycleMs);
    timers.add(next);
  };
  schedule(options.firstEntryMs ?? 800);

  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      clearInterval(priceTimer);
      timers.clear();
      await current;
    },
  };
}

/** One random-walk step in ticks: mostly small, sometimes a jump. */
function step(rng: Rng): number {
  const r = rng();
  const size = r < 0.85 ? 1 : r < 0.97 ? 2 : 4;
  return rng() < 0.5 ? -size : size;
}
