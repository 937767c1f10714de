import {
  type Contract,
  defaultInstruments,
  type Engine,
  type EngineConfig,
  type EngineEvent,
  type EventBus,
  type Logger,
  markPositionsFrom,
  parseContract,
  publishFeedStatus,
  systemClock,
} from '@tradenova/core';
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
