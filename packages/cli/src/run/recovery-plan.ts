import type { BrokerOrder } from '@tradenova/core';

/** What start-up recovery does with a follower out of line (`reconcile.onStart`). */
export type RecoveryPolicy = 'align' | 'alert' | 'off';

/** What a broker said when asked for one order by its client order id. */
export type Lookup =
  | { state: 'found'; order: BrokerOrder }
  | { state: 'absent' }
  /** The broker could not be asked (down, no lookup): nothing may be assumed. */
  | { state: 'unknown'; reason: string };

/** One journaled follower intent, as recovery needs it. */
export interface JournaledIntent {
  intentId: string;
  signalId: string;
  follower: string;
  leg: string;
  /** `place`, `modify`, `cancel`, … */
  action: string;
  /** The leader order the signal was about, when it was about one. */
  leaderOrderId?: string;
  /** The signal's action (`new`, `modify`, `cancel`, `flatten`). */
  signalAction?: string;
}

/** The leader's working order and, per follower, what its broker holds under the copy's client order id. */
export interface LeaderOrderCopies {
  order: BrokerOrder;
  /** The id the copy's `new` signal has (the same before and after a restart). */
  signalId: string;
  /** The copy's legs a follower may hold (`entry`, or a reversal's `close` and `open`), each looked up. */
  byFollower: ReadonlyMap<string, readonly { leg: string; intentId: string; lookup: Lookup }[]>;
}

export interface RecoveryInputs {
  policy: Exclude<RecoveryPolicy, 'off'>;
  /** Intents of incomplete signals that have no outcome in the journal, with the broker's answer. */
  pending: readonly { intent: JournaledIntent; lookup: Lookup }[];
  /** The leader's working (parent) orders now. */
  leaderOrders: readonly LeaderOrderCopies[];
  /** Follower copies of leader orders that are no longer working at the leader. */
  orphans: readonly { intent: JournaledIntent; lookup: Lookup }[];
}

export interface SkipLine {
  follower?: string;
  intentId?: string;
  leaderOrderId?: string;
  reason: string;
}

/** What recovery does, decided from what the journal and the brokers said. Pure data. */
export interface RecoveryPlan {
  /** Journaled intents whose outcome the broker settled: recorded as `order-reconciled`. */
  settled: { intentId: string; follower: string; outcome: 'placed' | 'not-placed'; orderId?: string }[];
  /** Copies a follower already holds: the engine is told of them instead of placing again. */
  adopt: { follower: string; leaderOrderId: string; intentId: string; order: BrokerOrder }[];
  /** Copies a follower lacks: placed through the engine with the copy's deterministic id. */
  place: { follower: string; leaderOrderId: string; intentId: string }[];
  /** Adopted copies whose price differs from the leader's working order now. */
  modify: {
    leaderOrderId: string;
    followers: string[];
    limitTicks?: number;
    stopTicks?: number;
  }[];
  /** Working follower copies of leader orders that ended while the copier was down. */
  cancel: { follower: string; intentId: string; orderId: string }[];
  /** Left alone, each with why (and everything `alert` would have done). */
  skipped: SkipLine[];
}

const LIVE = new Set(['working', 'partially-filled', 'pending']);

/**
 * Decides start-up recovery from facts alone (journal rows, broker lookups, the leader's
 * working orders): nothing here talks to a broker. Under `alert` every action becomes a
 * skip line that says what `align` would have done; settling (recording what the broker
 * says of an order) happens under both, since it changes nothing at any broker.
 */
export function planRecovery(inputs: RecoveryInputs): RecoveryPlan {
  const plan: RecoveryPlan = { settled: [], adopt: [], place: [], modify: [], cancel: [], skipped: [] };
  const working = new Set(inputs.leaderOrders.map((l) => l.order.orderId));
  const act = inputs.policy === 'align';

  for (const { intent, lookup } of inputs.pending) {
    if (lookup.state === 'unknown') {
      plan.skipped.push({
        follower: intent.follower,
        intentId: intent.intentId,
        reason: `broker not asked: ${lookup.reason}`,
      });
      continue;
    }
    if (lookup.state === 'found' && lookup.order.status !== 'rejected') {
      plan.settled.push({
        intentId: intent.intentId,
        follower: intent.follower,
        outcome: 'placed',
        orderId: lookup.order.orderId,
      });
      continue;
    }
    plan.settled.push({ intentId: intent.intentId, follower: intent.follower, outcome: 'not-placed' });
    const still = intent.leaderOrderId !== undefined && working.has(intent.leaderOrderId);
    // A `new` of a working leader order is placed again below, under the same id; the rest is stale.
    if (!(still && intent.signalAction === 'new')) {
      plan.skipped.push({
        follower: intent.follower,
        intentId: intent.intentId,
        ...(intent.leaderOrderId !== undefined ? { leaderOrderId: intent.leaderOrderId } : {}),
        reason: still
          ? `superseded: the leader's order is copied as it is now`
          : `the leader no longer holds what it copied (${intent.signalAction ?? intent.action}); positions are aligned instead`,
      });
    }
  }

  for (const copies of inputs.leaderOrders) {
    const leaderOrderId = copies.order.orderId;
    const moved = new Map<string, string[]>();
    for (const [follower, legs] of [...copies.byFollower].sort(([a], [b]) => a.localeCompare(b))) {
      const first = legs[0]?.intentId;
      const unknown = legs.find((l) => l.lookup.state === 'unknown');
      if (unknown?.lookup.state === 'unknown') {
        plan.skipped.push({
          follower,
          intentId: unknown.intentId,
          leaderOrderId,
          reason: `broker not asked: ${unknown.lookup.reason}`,
        });
        continue;
      }
      const found = legs.flatMap((l) =>
        l.lookup.state === 'found' ? [{ ...l, order: l.lookup.order }] : [],
      );
      const live = found.filter((l) => LIVE.has(l.order.status));
      if (live.length > 0) {
        for (const l of live)
          plan.adopt.push({ follower, leaderOrderId, intentId: l.intentId, order: l.order });
        const key = priceKey(copies.order, live.at(-1)!.order);
        if (key !== undefined) moved.set(key, [...(moved.get(key) ?? []), follower]);
        continue;
      }
      if (found.length > 0) {
        // Filled, cancelled or rejected at the follower: placing it again would copy it twice.
        plan.skipped.push({
          follower,
          intentId: found[0]!.intentId,
          leaderOrderId,
          reason: `the follower's copy is ${found[0]!.order.status}; positions are aligned instead`,
        });
        continue;
      }
      if (first === undefined) continue;
      if (act) plan.place.push({ follower, leaderOrderId, intentId: first });
      else
        plan.skipped.push({
          follower,
          intentId: first,
          leaderOrderId,
          reason: 'alert: the copy of a working leader order is missing',
        });
    }
    for (const followers of moved.values()) {
      const o = copies.order;
      const change = {
        leaderOrderId,
        followers,
        ...(o.limitTicks !== undefined ? { limitTicks: o.limitTicks } : {}),
        ...(o.stopTicks !== undefined ? { stopTicks: o.stopTicks } : {}),
      };
      if (act) plan.modify.push(change);
      else
        for (const follower of followers)
          plan.skipped.push({
            follower,
            leaderOrderId,
            reason: "alert: the copy's price differs from the leader's",
          });
    }
  }

  for (const { intent, lookup } of inputs.orphans) {
    if (lookup.state !== 'found' || !LIVE.has(lookup.order.status)) continue;
    if (act)
      plan.cancel.push({
        follower: intent.follower,
        intentId: intent.intentId,
        orderId: lookup.order.orderId,
      });
    else
      plan.skipped.push({
        follower: intent.follower,
        intentId: intent.intentId,
        ...(intent.leaderOrderId !== undefined ? { leaderOrderId: intent.leaderOrderId } : {}),
        reason: 'alert: the copy is working though the leader order ended',
      });
  }
  return plan;
}

/** A key for the leader's prices when the follower's copy has others; undefined when they match. */
function priceKey(leader: BrokerOrder, copy: BrokerOrder): string | undefined {
  const limit = leader.limitTicks !== undefined && copy.limitTicks !== leader.limitTicks;
  const stop = leader.stopTicks !== undefined && copy.stopTicks !== leader.stopTicks;
  return limit || stop ? `${leader.limitTicks ?? ''}|${leader.stopTicks ?? ''}` : undefined;
}
