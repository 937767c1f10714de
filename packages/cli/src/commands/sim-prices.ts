import { readFile } from 'node:fs/promises';
import {
  type Contract,
  contractKey,
  defaultInstruments,
  formatContract,
  frontMonth,
  type InstrumentRegistry,
  nextContract,
  parseContract,
  parseReplay,
  priceToTicksRounded,
  RandomWalkMarketData,
  type SimulatedExchange,
  systemClock,
} from '@tradenova/core';
import { replayFormatOf } from '@tradenova/core/replay';
import { CliError } from '../errors.js';

/** Where a standalone simulator's prices come from (`tradenova sim --prices`). */
export type SimPrices = { kind: 'random-walk' } | { kind: 'file'; path: string };

/** `--prices random-walk` or `--prices <session file>`. */
export function parseSimPrices(value: string | undefined): SimPrices {
  const v = value?.trim() ?? '';
  if (v === '' || v === 'random-walk') return { kind: 'random-walk' };
  return { kind: 'file', path: v };
}

/** Prices running into a simulator's exchange. */
export interface RunningPrices {
  /** One line for people: what moves, and which contracts have prices. */
  description: string;
  stop(): Promise<void>;
}

/** How often the random walk steps, in ms. */
const WALK_INTERVAL_MS = 250;

/**
 * The contracts a random walk prices: the front month and the next listed one of every
 * instrument, so an outside tool trading either gets fills. A market order needs a quote
 * (without one the exchange refuses it with NoQuote), and a resting order needs prices
 * that move through it.
 */
export function walkedContracts(
  at: number = Date.now(),
  instruments: InstrumentRegistry = defaultInstruments,
): Contract[] {
  return instruments.roots().flatMap((root) => {
    const spec = instruments.get(root);
    const front = frontMonth(spec, at);
    return [front, nextContract(spec, front)];
  });
}

/**
 * Feeds `exchange` from `source`: a seeded random walk (one step every 250 ms from 80,000
 * ticks, where the paper broker's synthetic prices start), or the quote and trade lines of a
 * session file (the replay format) played at their recorded pace, then held.
 */
export async function startSimPrices(
  source: SimPrices,
  exchange: SimulatedExchange,
  instruments: InstrumentRegistry = defaultInstruments,
): Promise<RunningPrices> {
  if (source.kind === 'random-walk') {
    const walk = new RandomWalkMarketData({ clock: systemClock, intervalMs: WALK_INTERVAL_MS });
    walk.onQuote((q) => {
      if (q.bidTicks !== undefined && q.askTicks !== undefined)
        exchange.updateQuote(q.contract, { bidTicks: q.bidTicks, askTicks: q.askTicks });
    });
    walk.onTrade((t) => exchange.updateTrade(t.contract, t.priceTicks));
    const contracts = walkedContracts(systemClock.now(), instruments);
    walk.subscribe(contracts);
    await walk.start();
    return {
      description: `random walk every ${WALK_INTERVAL_MS} ms for ${contracts.map((c) => formatContract(c, 'short')).join(', ')}`,
      stop: () => walk.stop(),
    };
  }
  return playSessionFile(source.path, exchange, instruments);
}

async function playSessionFile(
  path: string,
  exchange: SimulatedExchange,
  instruments: InstrumentRegistry,
): Promise<RunningPrices> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`--prices ${path}: cannot read the session file (${(error as Error).message})`);
  }
  const { records, errors } = parseReplay(text, replayFormatOf(path));
  const first = errors[0];
  if (first) throw new CliError(`${path}:${first.line}: ${first.field}: ${first.message}`);
  // Only prices matter here; the file's signals are for `replay`.
  const prices: { time: number; apply: () => void }[] = [];
  const contracts = new Map<string, Contract>();
  for (const r of records) {
    if (r.kind === 'signal') continue;
    let contract: Contract;
    try {
      contract = parseContract(r.instrument, { at: r.time, registry: instruments });
    } catch (error) {
      throw new CliError(`${path}:${r.line}: instrument: ${(error as Error).message}`);
    }
    contracts.set(contractKey(contract), contract);
    const tick = instruments.get(contract.root).tickSize;
    const ticks = (price: string) => priceToTicksRounded(price, tick, 'nearest');
    if (r.kind === 'quote') {
      const quote = { bidTicks: ticks(r.bid), askTicks: ticks(r.ask) };
      prices.push({ time: r.time, apply: () => exchange.updateQuote(contract, quote) });
    } else {
      const last = ticks(r.price);
      prices.push({ time: r.time, apply: () => exchange.updateTrade(contract, last) });
    }
  }
  if (prices.length === 0) throw new CliError(`${path}: no quote or trade lines to take prices from`);
  const start = prices[0]!.time;
  let timer: NodeJS.Timeout | undefined;
  let next = 0;
  // Each line at its offset from the first; lines due together are applied together.
  const play = () => {
    const due = systemClock.now() - startedAt + start;
    while (next < prices.length && prices[next]!.time <= due) prices[next++]!.apply();
    if (next < prices.length) timer = setTimeout(play, Math.max(0, prices[next]!.time - due));
  };
  const startedAt = systemClock.now();
  play();
  const span = Math.round((prices.at(-1)!.time - start) / 1000);
  return {
    description: `${prices.length} quote/trade lines of ${path} over ${span} s, then the last prices held, for ${[
      ...contracts.values(),
    ]
      .map((c) => formatContract(c, 'short'))
      .join(', ')}`,
    stop: async () => clearTimeout(timer),
  };
}
