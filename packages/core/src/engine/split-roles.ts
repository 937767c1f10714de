import type { EngineConfig } from '../config/schema.js';
import { SignalError } from '../errors.js';
import { type Contract, parseContract } from '../instruments/contract.js';
import { defaultInstruments, type InstrumentRegistry } from '../instruments/registry.js';
import { type IntentLeg, intentId } from '../model/intent.js';
import type { TradeSignal } from '../model/signal.js';
import type { Engine, SignalResult } from './api.js';
import { connectionKeyOf } from './connections.js';

/**
 * Scale-out in two roles. A router turns each leader signal into one routed intent per
 * enabled follower (`routeSignal`) and publishes them keyed by account, on the partition
 * of the account's broker connection (`routedPartition`): each account has one owner at
 * a time and its work stays in order, and each broker login has one owner too, so no two
 * executors hold one login (a broker allowing one session per user would log one of
 * them out, and a login's request budget is only honest in one process). The executor that owns
 * the account plans and places that follower's orders (`executeRouted`): the quantity
 * is worked out there, because exits follow the follower's live position, which only
 * the owner of the account knows. Intent ids stay a pure function of (signal id,
 * follower, leg), so the owner after a rebalance finds an earlier attempt at the broker
 * by client order id (`routedIntentIds`).
 */

const utf8 = new TextEncoder();

/** Version of the routed intent body. */
export const ROUTED_INTENT_VERSION = 1;

/** One follower's share of one leader signal, as the router publishes it. */
export interface RoutedIntent {
  v: typeof ROUTED_INTENT_VERSION;
  signal: TradeSignal;
  follower: string;
  /** The broker account: the partition key. */
  accountId: string;
  broker: string;
  /** The follower's connection key (see `connectionKeyOf`). */
  connection: string;
  /** When the router published it (ms since epoch). */
  routedAt: number;
  /**
   * The leader's signed position in the signal's contract just before this signal, as
   * the router's leader mirror knows it: exits and reversals scale against it, and the
   * executor may not have seen the signals that built it (another member owned them).
   */
  leaderQty?: number;
}

/** Legs an executed signal can place for one follower (what a new owner looks for at the broker). */
export const ROUTED_LEGS: readonly IntentLeg[] = [
  'entry',
  'close',
  'open',
  'modify',
  'cancel',
  'flatten',
  'stop-loss',
  'take-profit',
];

/**
 * The routed intents of one signal: one per enabled follower, in config order. The
 * instrument is checked here, once, so a signal no follower could copy is refused at
 * the router (throws `SignalError` naming the field) instead of once per account.
 */
export function routeSignal(
  config: EngineConfig,
  signal: TradeSignal,
  now: number,
  instruments: InstrumentRegistry = defaultInstruments,
  leaderQtyOf?: (contract: Contract) => number,
): RoutedIntent[] {
  let leaderQty: number | undefined;
  if ('instrument' in signal && signal.instrument !== undefined) {
    let contract: Contract;
    try {
      contract = parseContract(signal.instrument, { at: signal.detectedAt, registry: instruments });
    } catch (error) {
      throw new SignalError('instrument', error instanceof Error ? error.message : String(error));
    }
    leaderQty = leaderQtyOf?.(contract);
  }
  return config.followers
    .filter((f) => f.enabled)
    .map((f) => ({
      v: ROUTED_INTENT_VERSION,
      signal,
      follower: f.name,
      accountId: f.account,
      broker: f.broker,
      connection: connectionKeyOf(f),
      routedAt: now,
      ...(leaderQty !== undefined ? { leaderQty } : {}),
    }));
}

/**
 * The `trade.intents` partition of a routed intent: a pure function of its connection
 * key (32-bit FNV-1a, so the router and every executor agree without asking Kafka's
 * partitioner), and the same for every account of that connection.
 */
export function routedPartition(connection: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`routedPartition: partitions must be a positive integer, got ${partitions}`);
  }
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(connection)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/**
 * The connections whose followers' intents land on the given partitions: what an
 * executor holding those partitions connects. The leader's own connection is not
 * included unless a follower shares it.
 */
export function connectionsOfPartitions(
  config: EngineConfig,
  owned: readonly number[],
  partitions: number,
): string[] {
  const mine = new Set(owned);
  const keys = new Set<string>();
  for (const f of config.followers) {
    const key = connectionKeyOf(f);
    if (mine.has(routedPartition(key, partitions))) keys.add(key);
  }
  return [...keys];
}

/** Every client order id `executeRouted` may have sent for this routed intent, leg by leg. */
export function routedIntentIds(routed: Pick<RoutedIntent, 'signal' | 'follower'>): Map<IntentLeg, string> {
  return new Map(ROUTED_LEGS.map((leg) => [leg, intentId(routed.signal.signalId, routed.follower, leg)]));
}

/**
 * Plans and places one routed intent on the engine that owns its account: the signal
 * is copied to that follower only, through the same scaling, risk checks, per-account
 * queue and resilience as in one process. Resolves with the outcome once it is known.
 */
export function executeRouted(
  engine: Engine,
  routed: RoutedIntent,
  instruments: InstrumentRegistry = defaultInstruments,
): Promise<SignalResult> {
  const signal = routed.signal;
  if (routed.leaderQty !== undefined && 'instrument' in signal && signal.instrument !== undefined) {
    // Set just before submit, which reads it on arrival: intents of other partitions in flight keep their own.
    const contract = parseContract(signal.instrument, { at: signal.detectedAt, registry: instruments });
    engine.seedLeaderPosition(contract, routed.leaderQty);
  }
  return engine.submit(signal, { followers: [routed.follower] });
}
