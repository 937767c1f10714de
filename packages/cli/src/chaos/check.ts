import type { BrokerOrder } from '@tradenova/core';

/** What the simulators and the journal say about one follower after a run settled. */
export interface FollowerFacts {
  name: string;
  /** Its working orders as its broker reports them on the wire (with client order ids). */
  working: readonly BrokerOrder[];
  /** Net position per contract key at its simulator. */
  positions: ReadonlyMap<string, number>;
  /** What its rules make of the leader's position, per contract key. */
  targets: ReadonlyMap<string, number>;
  /**
   * Client order ids of the orders its simulator's exchange holds for it (parents, not
   * rejected), one entry per order (a duplicate shows twice). Every simulator keeps the id
   * the client sent on the wire (Tradovate's `clOrdId`, ProjectX's `customTag`, Rithmic's
   * `user_tag`, ...); orders the broker made itself (a liquidation) have none.
   */
  exchangeClientIds: readonly string[];
  /** Every intent id the journal holds for it. */
  journaled?: ReadonlySet<string>;
  /** Intent ids with a recorded outcome that explains a missing copy (rejected, blocked, skipped, failed). */
  reasoned: ReadonlySet<string>;
  /**
   * For each of the leader's working orders, the client order ids its copy may have: the
   * entry, or against a position the other way the closing and opening legs of a reversal.
   */
  expected: readonly { leaderOrderId: string; ids: readonly string[] }[];
  /** Copies not working but found at the broker filled (they did their job). */
  filled: ReadonlySet<string>;
  /** What the journal recorded for an intent (order statuses, oldest first), to say what went wrong. */
  journal?: ReadonlyMap<string, readonly string[]>;
}

/** The shape of an intent id (`intentId` in core): a client order id this copier made. */
const OUR_ID = /^tn[0-9a-z]{22}$/;

/** One follower's findings. */
export interface FollowerVerdict {
  duplicates: number;
  lost: number;
  drift: number;
  details: string[];
}

/**
 * The three guarantees for one follower, from facts alone:
 * - duplicates: two broker orders for one intent, seen as two orders at the broker (or two
 *   working ones) under one client order id — every intent places at most one order;
 * - lost: a working leader order with neither a working (or filled) copy nor a recorded
 *   reason for its absence;
 * - drift: a position off what the follower's rules make of the leader, or a working
 *   copy of a leader order that no longer works.
 */
export function checkFollower(f: FollowerFacts): FollowerVerdict {
  const details: string[] = [];
  const byClientId = new Map<string, number>();
  for (const o of f.working)
    if (o.parentOrderId === undefined && o.clientOrderId)
      byClientId.set(o.clientOrderId, (byClientId.get(o.clientOrderId) ?? 0) + 1);
  let workingDupes = 0;
  for (const [id, n] of byClientId)
    if (n > 1) {
      workingDupes += n - 1;
      details.push(`${f.name}: ${n} working orders for intent ${id}`);
    }
  // Exact: two orders at the broker under one of our client order ids (one intent placed twice).
  const seen = new Map<string, number>();
  for (const id of f.exchangeClientIds) if (OUR_ID.test(id)) seen.set(id, (seen.get(id) ?? 0) + 1);
  let twice = 0;
  for (const [id, n] of seen)
    if (n > 1) {
      twice += n - 1;
      details.push(`${f.name}: ${n} orders at the broker under one client order id ${id}`);
    }
  const duplicates = Math.max(workingDupes, twice);
  // Orders the journal has no intent for (its last writes lost to a kill -9): not a
  // duplicate, but worth saying; one left working shows as drift below.
  if (f.journaled) {
    const unrecorded = [...seen.keys()].filter((id) => !f.journaled!.has(id));
    if (unrecorded.length > 0)
      details.push(`note: ${f.name}: ${unrecorded.length} order(s) at the broker with no journaled intent`);
  }

  let lost = 0;
  const expectedIds = new Set<string>();
  for (const e of f.expected) {
    for (const id of e.ids) expectedIds.add(id);
    if (e.ids.some((id) => byClientId.has(id) || f.filled.has(id) || f.reasoned.has(id))) continue;
    lost++;
    const said = e.ids.flatMap((id) => f.journal?.get(id) ?? []);
    details.push(
      `${f.name}: no copy of leader order ${e.leaderOrderId} and no recorded reason (journal: ${said.length > 0 ? said.join(' → ') : 'nothing'})`,
    );
  }

  let drift = 0;
  for (const key of new Set([...f.positions.keys(), ...f.targets.keys()])) {
    const held = f.positions.get(key) ?? 0;
    const target = f.targets.get(key) ?? 0;
    if (held === target) continue;
    drift++;
    details.push(`${f.name}: holds ${held} ${key}, its rules make ${target} of the leader`);
  }
  for (const id of byClientId.keys()) {
    if (expectedIds.has(id)) continue;
    drift++;
    details.push(`${f.name}: order ${id} is working but copies no working leader order`);
  }
  return { duplicates, lost, drift, details };
}
