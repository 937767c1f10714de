import type { BrokerPosition } from '../adapter/contract.js';
import type { FollowerConfig } from '../config/schema.js';
import { type Contract, contractKey, parseContract } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import type { Money } from '../money/money.js';
import { RiskReason } from '../risk/reasons.js';
import { scaleEntryQty } from '../scaling/scale.js';
import { mapContract } from './intents.js';

/** What reconciliation does when a follower is out of line. */
export type ReconcilePolicy =
  /** Place orders that bring the broker position to the scaled leader position. */
  | 'align'
  /** Only report the difference. */
  | 'alert'
  /** Close the account's positions. */
  | 'flatten';

/** One contract of one follower, as the broker, the engine and the leader see it. */
export interface ReconcileLine {
  contract: Contract;
  /** The broker's net position: the truth. */
  broker: number;
  /** What the engine's tracker holds from the fills it saw. */
  tracked: number;
  /** The follower's scaled share of the leader's position. */
  target: number;
  /** Signed qty to order to bring the broker to the target (0 when in line or not aligning). */
  order: number;
}

/**
 * Compares a follower's broker positions with its tracked ones and its target,
 * contract by contract (sorted by key). Pure: the engine applies the result.
 * A contract the broker does not report is flat at the broker — but only
 * because the broker answered the query: a missing report never means flat.
 */
export function planReconciliation(args: {
  brokerPositions: readonly BrokerPosition[];
  tracked: ReadonlyMap<string, number>;
  targets: ReadonlyMap<string, number>;
  policy: ReconcilePolicy;
  instruments: InstrumentRegistry;
}): ReconcileLine[] {
  const broker = new Map<string, { contract: Contract; qty: number }>();
  for (const p of args.brokerPositions) {
    const key = contractKey(p.contract);
    broker.set(key, { contract: p.contract, qty: (broker.get(key)?.qty ?? 0) + p.netQty });
  }
  const keys = new Set([...broker.keys(), ...args.tracked.keys(), ...args.targets.keys()]);
  const lines: ReconcileLine[] = [];
  for (const key of [...keys].sort()) {
    const contract = broker.get(key)?.contract ?? parseContract(key, { registry: args.instruments });
    const b = broker.get(key)?.qty ?? 0;
    const tracked = args.tracked.get(key) ?? 0;
    const target = args.targets.get(key) ?? 0;
    if (b === tracked && b === target) continue;
    const order = args.policy === 'align' ? target - b : args.policy === 'flatten' ? -b : 0;
    lines.push({ contract, broker: b, tracked, target, order });
  }
  return lines;
}

/**
 * Pure: a follower's scaled share of the leader's open positions, per follower contract
 * key (what drift is measured against and reconciliation aligns to). A contract whose
 * share cannot be sized (risk sizing without a stop) is left out.
 */
export function scaledTargets(
  leader: ReadonlyMap<string, number>,
  follower: FollowerConfig,
  equity: Money,
  instruments: InstrumentRegistry,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, qty] of leader) {
    if (qty === 0) continue;
    const contract = parseContract(key, { registry: instruments });
    const mapped = mapContract(contract, follower);
    const spec = instruments.get(mapped.contract.root);
    const scaled = scaleEntryQty({
      leaderQty: Math.abs(qty),
      scaling: follower.scaling,
      ratio: mapped.ratio,
      rounding: follower.rounding,
      whenZero: follower.whenZero,
      ...(follower.minQty !== undefined ? { minQty: follower.minQty } : {}),
      ...(follower.maxQty !== undefined ? { maxQty: follower.maxQty } : {}),
      followerEquity: equity,
      tickValue: spec.tickValue,
    });
    if (!scaled.ok && scaled.reason !== RiskReason.ScaledToZero) continue;
    const sign = (qty > 0 ? 1 : -1) * (follower.inverse ? -1 : 1);
    out.set(contractKey(mapped.contract), scaled.ok ? sign * scaled.qty : 0);
  }
  return out;
}
