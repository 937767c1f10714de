import {
  type Contract,
  contractKey,
  defaultInstruments,
  type Engine,
  type EngineConfig,
  type EngineEvent,
  type EventBus,
  type Logger,
  markPositionsFrom,
  parseContract,
  systemClock,
} from '@tradenova/core';
import { publishFeedStatus } from '@tradenova/core/market-data';
import type { ReplayPriceFeed } from '@tradenova/core/replay';
import { startMarketDataSimulator } from '../brokers/simulators.js';
import { CliError } from '../errors.js';
import { redactUrl, ServiceUnavailableError } from '../services/errors.js';

/** A price feed attached to a running engine. */
export interface AttachedMarketData {
  /** Where the feed is (no token, no password). */
  readonly where: string;
  /** Contracts subscribed so far, as `MNQZ25` keys. */
  subscribed(): string[];
  close(): Promise<void>;
}

/**
 * Opens the config's `marketData` feed (dxFeed) and attaches it to the engine: its
 * quotes and trades mark unrealized P&L, a stale or dropped feed becomes a
 * `service-status` event on the bus, and every contract a signal or a position
 * touches (with the roots followers map it to) is subscribed as it first appears.
 * A feed that cannot be reached at start stops the run (exit 2), naming where.
 */
export async function attachMarketData(
  config: EngineConfig,
  context: { engine: Engine; bus: EventBus; logger: Logger },
): Promise<AttachedMarketData | undefined> {
  const spec = config.marketData;
  if (!spec) return undefined;
  const stops: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const options: Record<string, unknown> = { ...spec.options };
    if (spec.simulator === 'loopback') {
      const sim = await startMarketDataSimulator(spec.source);
      stops.push(() => sim.close());
      options.url = sim.endpoints.dxlink;
    }
    // Loaded only when configured: users of the broker adapters never load the dxLink client.
    const { DxFeedMarketData, dxFeedConfigSchema } = await import('@tradenova/adapter-others/dxfeed');
    const parsed = dxFeedConfigSchema.safeParse(options);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first?.path.length ? `.${first.path.join('.')}` : '';
      throw new CliError(`marketData.options${where}: ${first?.message ?? 'invalid'}`);
    }
    const where = redactUrl(parsed.data.url);
    const feed = new DxFeedMarketData(parsed.data, {
      instruments: defaultInstruments,
      clock: systemClock,
      logger: context.logger,
    });
    stops.push(markPositionsFrom(feed, context.engine));
    stops.push(publishFeedStatus(feed, (event) => context.bus.publish(event), { where }));
    stops.push(context.engine.on((event) => feed.subscribe(contractsOf(event, config))));
    try {
      await feed.start();
    } catch (error) {
      throw new ServiceUnavailableError('market-data', where, { cause: error });
    }
    stops.push(() => feed.stop());
    return {
      where,
      subscribed: () =>
        feed.subscribed().map((c) => `${c.root}${c.month}${String(c.year % 100).padStart(2, '0')}`),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The contracts an engine event is about, with the roots followers map the leader's to (NQ → MNQ). */
function contractsOf(event: EngineEvent, config: EngineConfig): Contract[] {
  if (event.type === 'position-updated') return [event.position.contract];
  if (event.type !== 'signal-received' || !('instrument' in event.signal) || !event.signal.instrument)
    return [];
  let contract: Contract;
  try {
    contract = parseContract(event.signal.instrument, {
      at: event.signal.detectedAt,
      registry: defaultInstruments,
    });
  } catch {
    return [];
  }
  const roots = new Set([contract.root]);
  for (const f of config.followers) {
    const to = f.symbolMap[contract.root]?.to;
    if (to) roots.add(to);
  }
  return [...roots].map((root) => ({ ...contract, root }));
}

/**
 * For `replay --brokers simulated` with `marketData: { simulator: loopback }`: the
 * recorded prices go out through the dxLink simulator and come back through the
 * dxFeed client, which marks the engine, so the replay exercises the feed end to end.
 */
export async function openReplayPriceFeed(
  config: EngineConfig,
): Promise<(ReplayPriceFeed & { close(): Promise<void> }) | undefined> {
  const spec = config.marketData;
  if (spec?.simulator !== 'loopback') return undefined;
  const [{ startDxLinkSimulator }, { DxFeedMarketData, dxFeedConfigSchema, toDxFeedSymbol }] =
    await Promise.all([
      import('@tradenova/adapter-others/dxfeed/simulator'),
      import('@tradenova/adapter-others/dxfeed'),
    ]);
  const sim = await startDxLinkSimulator();
  const options = dxFeedConfigSchema.parse({ ...spec.options, url: sim.url });
  // A replay may pause between records for longer than a live feed would: no stale alarms.
  const feed = new DxFeedMarketData(
    { ...options, staleAfterMs: 86_400_000 },
    { instruments: defaultInstruments },
  );
  /** What the feed delivered last, per contract key: a publish waits for its own price to arrive. */
  const seen = new Map<string, { bid?: number; ask?: number; last?: number }>();
  const waiting = new Set<() => void>();
  const note = (key: string, update: { bid?: number; ask?: number; last?: number }) => {
    seen.set(key, { ...seen.get(key), ...update });
    for (const check of [...waiting]) check();
  };
  const offQuote = feed.onQuote((q) =>
    note(contractKey(q.contract), {
      ...(q.bidTicks !== undefined ? { bid: q.bidTicks } : {}),
      ...(q.askTicks !== undefined ? { ask: q.askTicks } : {}),
    }),
  );
  const offTrade = feed.onTrade((t) => note(contractKey(t.contract), { last: t.priceTicks }));
  try {
    await feed.start();
  } catch (error) {
    await sim.close();
    throw error;
  }
  const until = (what: string, check: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => {
        waiting.delete(poll);
        reject(new CliError(`market data: the dxLink simulator did not deliver ${what} within 5 s`));
      }, 5_000);
      const poll = () => {
        if (!check()) return;
        clearTimeout(timer);
        waiting.delete(poll);
        resolve();
      };
      waiting.add(poll);
    });
  const subscribed = new Set<string>();
  return {
    name: 'dxfeed',
    attach: (target) => markPositionsFrom(feed, target),
    async publish(contract, price) {
      const key = contractKey(contract);
      const symbol = toDxFeedSymbol(contract, defaultInstruments);
      if (!subscribed.has(key)) {
        subscribed.add(key);
        feed.subscribe([contract]);
        // The simulator drops prices for a symbol nobody subscribed to yet.
        const deadline = Date.now() + 5_000;
        while (!sim.subscriptions().some((s) => s.symbol === symbol)) {
          if (Date.now() > deadline)
            throw new CliError(`market data: no subscription to ${symbol} within 5 s`);
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      const tick = Number(defaultInstruments.get(contract.root).tickSize);
      // dxLink carries doubles; the client rounds them back to whole ticks.
      sim.publish(symbol, {
        ...(price.bid !== undefined ? { bid: price.bid * tick } : {}),
        ...(price.ask !== undefined ? { ask: price.ask * tick } : {}),
        ...(price.last !== undefined ? { last: price.last * tick } : {}),
      });
      await until(`${symbol} ${JSON.stringify(price)}`, () => {
        const got = seen.get(key);
        return (
          got !== undefined &&
          (price.bid === undefined || got.bid === price.bid) &&
          (price.ask === undefined || got.ask === price.ask) &&
          (price.last === undefined || got.last === price.last)
        );
      });
    },
    async close() {
      offQuote();
      offTrade();
      await feed.stop();
      await sim.close();
    },
  };
}
