import {
  type BrokerConnection,
  BrokerDisconnectedError,
  type BrokerOrder,
  BrokerRateLimitedError,
  BrokerTimeoutError,
  BrokerUnavailableError,
  defaultInstruments,
  type Engine,
  type EngineConfig,
  type EngineEvent,
  type EventBus,
  type FollowerConfig,
  intentId,
  type OrderIntent,
  ticksToPrice,
} from '@tradenova/core';
import { errorMessage } from '../services/errors.js';
import type { Journal } from '../services/journal/journal.js';
import type { AdoptedOrders, SourceGate } from './recovery-adopt.js';
import {
  type JournaledIntent,
  type LeaderOrderCopies,
  type Lookup,
  planRecovery,
  type RecoveryPlan,
  type RecoveryPolicy,
  type SkipLine,
} from './recovery-plan.js';

/** The one line start-up recovery prints: what it found and did. */
export interface RecoveredLine {
  type: 'recovered';
  time: number;
  policy: RecoveryPolicy;
  /** Journaled intents of unfinished signals whose outcome was asked of the broker and recorded. */
  settled: number;
  /** Copies of the leader's working orders placed for followers that lacked them. */
  placed: number;
  /** Copies found at the brokers and handed to the engine (later modify / cancel reach them). */
  adopted: number;
  /** Adopted copies moved to the leader's current price. */
  modified: number;
  /** Working follower copies of leader orders that ended while the copier was down. */
  cancelled: number;
  /** Follower positions brought to what their rules make of the leader. */
  aligned: number;
  /** The leader's working orders seen. */
  leaderOrders: number;
  /** Unfinished signals of the journal closed. */
  signals: number;
  skipped: SkipLine[];
  ms: number;
}

/** What recovery works with: the session's engine and connections, the journal, the bus. */
export interface RecoveryContext {
  policy: RecoveryPolicy;
  config: EngineConfig;
  engine: Engine;
  /** Connections by key, as the session opened them. */
  connections: Readonly<Record<string, BrokerConnection>>;
  leaderConnection: BrokerConnection;
  journal?: Journal;
  bus: EventBus;
  adopted: AdoptedOrders;
  gate: SourceGate;
}

const LIVE = new Set(['working', 'partially-filled', 'pending']);
/** Journal order rows that are an outcome of the intent (a timeout is not: it is unknown). */
const OUTCOMES = [
  'placed',
  'modified',
  'rejected',
  'cancelled',
  'blocked',
  'failed',
  'reconciled-placed',
  'reconciled-not-placed',
];

/** The signal id of a leader order's first `new` (see leader-source.ts): the same in every run. */
export function leaderNewSignalId(leaderAccount: string, orderId: string): string {
  return `leader:${leaderAccount}:${orderId}:new:1`;
}

/**
 * Start-up recovery of a `run` (docs/reliability.md): before anything new is copied,
 * settle the journal's unfinished intents at the brokers, copy the leader's working orders
 * a follower lacks (under their deterministic ids, so a second recovery places nothing
 * twice), cancel copies of leader orders that ended, align positions; then let the held
 * signals through. Always opens the gate, even when a step fails.
 */
export async function recoverOnStart(ctx: RecoveryContext): Promise<RecoveredLine> {
  const started = Date.now();
  const line: RecoveredLine = {
    type: 'recovered',
    time: started,
    policy: ctx.policy,
    settled: 0,
    placed: 0,
    adopted: 0,
    modified: 0,
    cancelled: 0,
    aligned: 0,
    leaderOrders: 0,
    signals: 0,
    skipped: [],
    ms: 0,
  };
  if (ctx.policy === 'off') {
    ctx.gate.open();
    line.skipped.push({ reason: 'reconcile.onStart is off: nothing checked' });
    line.ms = Date.now() - started;
    return line;
  }
  const placedIds = new Set<string>();
  const off = ctx.engine.on((event) => {
    if (event.type === 'order-placed') placedIds.add(event.intent.intentId);
  });
  try {
    const followers = ctx.config.followers.filter((f) => f.enabled);
    const byName = new Map(followers.map((f) => [f.name, f]));
    const unfinished = ctx.journal
      ? await unfinishedIntents(ctx.journal, ctx.config.leader.account)
      : undefined;
    const openByFollower = await followerOpenOrders(ctx, followers);
    const lookup = (f: FollowerConfig, clientOrderId: string) =>
      lookUp(ctx, f, clientOrderId, openByFollower);

    const pending = [];
    for (const intent of unfinished?.intents ?? []) {
      const f = byName.get(intent.follower);
      if (!f) {
        line.skipped.push({
          follower: intent.follower,
          intentId: intent.intentId,
          reason: 'follower not enabled',
        });
        continue;
      }
      pending.push({ intent, lookup: await lookup(f, intent.intentId) });
    }

    const leaderOrders = await leaderWorkingOrders(ctx);
    line.leaderOrders = leaderOrders.length;
    const stillWorking = new Set(leaderOrders.map((o) => o.orderId));
    // Every working follower order the journal ties to a leader order, re-planned ones included.
    const journaled = ctx.journal ? await journaledCopies(ctx.journal, openByFollower) : [];
    // follower → leader order id → its working copies placed under any other signal than the
    // order's first: a re-plan (`<signal>~replan-<n>`), a modify's re-plan, or an earlier
    // recovery's re-signal (`recovery:<account>:<order>:modify:…`). The last has the same ids at
    // every recovery that finds the leader at the same price: unknown here, it was placed again
    // under its own ids (two orders under one client order id at Tradovate, chaos seed 2506510289).
    const laterCopies = new Map<string, Map<string, (typeof journaled)[number][]>>();
    for (const c of journaled) {
      const { leaderOrderId, signalId, follower } = c.intent;
      if (
        !stillWorking.has(leaderOrderId) ||
        signalId === leaderNewSignalId(ctx.config.leader.account, leaderOrderId)
      )
        continue;
      const mine = laterCopies.get(follower) ?? new Map();
      mine.set(leaderOrderId, [...(mine.get(leaderOrderId) ?? []), c]);
      laterCopies.set(follower, mine);
    }
    const copies: LeaderOrderCopies[] = [];
    for (const order of leaderOrders) {
      const signalId = leaderNewSignalId(ctx.config.leader.account, order.orderId);
      const byFollower = new Map<string, { leg: string; intentId: string; lookup: Lookup }[]>();
      for (const f of followers) {
        // A copy working under a re-planned id is the copy too: the engine is handed it (adopted)
        // when the re-signal plans the same order, and it is cancelled when the engine plans another.
        const legs: { leg: string; intentId: string; lookup: Lookup }[] = [];
        for (const leg of ['entry', 'close', 'open']) {
          const id = intentId(signalId, f.name, leg);
          const found = await lookup(f, id);
          legs.push({ leg, intentId: id, lookup: found });
          // A reversal (close then open) is the only other shape of a copy: asked about only when no entry is found.
          if (leg === 'entry' && found.state === 'found') break;
        }
        for (const c of laterCopies.get(f.name)?.get(order.orderId) ?? [])
          legs.push({ leg: c.intent.leg, intentId: c.intent.intentId, lookup: c.lookup });
        byFollower.set(f.name, legs);
      }
      copies.push({ order, signalId, byFollower });
    }

    // Copies of leader orders that ended while the copier was down, and working orders under
    // this copier's ids that nothing explains (placed just before a kill -9 took the
    // journal's last writes): cancelled, so a copy of a still-working leader order is
    // placed again under its first ids and nothing stray stays at the broker.
    const orphans: { intent: JournaledIntent; lookup: Lookup }[] = journaled.filter(
      (c) => !stillWorking.has(c.intent.leaderOrderId),
    );
    if (ctx.journal) {
      const explained = new Set(
        copies.flatMap((c) => [...c.byFollower.values()].flat().map((l) => l.intentId)),
      );
      const unexplained = await unjournaled(ctx.journal, openByFollower, explained);
      orphans.push(...unexplained);
      for (const u of unexplained)
        line.skipped.push({
          follower: u.intent.follower,
          intentId: u.intent.intentId,
          reason: "a working order under this copier's id that the journal does not hold: cancelled",
        });
    }
    const plan = planRecovery({ policy: ctx.policy, pending, leaderOrders: copies, orphans });
    line.skipped.push(...plan.skipped);
    if (!ctx.journal)
      line.skipped.push({ reason: 'no journal: unfinished signals of an earlier run unknown' });

    recordSettled(ctx, plan, unfinished?.byId ?? new Map());
    line.settled = plan.settled.length;
    line.signals = closeSignals(ctx, plan, unfinished);

    // Each follower's found copy of a leader order answers the re-signal's placement of it,
    // under whichever of the order's first ids the engine plans now.
    const found = new Map<string, { f: FollowerConfig; leaderOrderId: string; orders: BrokerOrder[] }>();
    for (const a of plan.adopt) {
      const f = byName.get(a.follower);
      if (!f) continue;
      const key = `${a.follower}\u0000${a.leaderOrderId}`;
      const entry = found.get(key) ?? { f, leaderOrderId: a.leaderOrderId, orders: [] };
      entry.orders.push(a.order);
      found.set(key, entry);
    }
    for (const { f, leaderOrderId, orders } of found.values()) {
      const c = connectionOf(ctx, f);
      if (!c) continue;
      const signalId = leaderNewSignalId(ctx.config.leader.account, leaderOrderId);
      const ids = firstIds(signalId, f.name);
      ctx.adopted.adopt(f.account, ids, orders, c);
    }
    // What the journal says of each first id's order (a broker that cannot look up an ended
    // order, Sierra Chart or Rithmic, shows a cancelled copy as absent).
    const firstIdStatuses = ctx.journal
      ? await orderStatuses(
          ctx.journal,
          copies.flatMap((c) => [...c.byFollower.keys()].flatMap((name) => firstIds(c.signalId, name))),
        )
      : new Map<string, Set<string>>();
    // A follower whose copy of a working leader order is only found cancelled (no live copy):
    // the re-signal must not send it again under the first ids (see `AdoptedOrders.refuse`).
    for (const c of copies)
      for (const [name, legs] of c.byFollower) {
        const f = byName.get(name);
        if (!f || found.has(`${name}\u0000${c.order.orderId}`)) continue;
        const seen = legs.flatMap((l) => (l.lookup.state === 'found' ? [l.lookup.order] : []));
        if (seen.some((o) => LIVE.has(o.status) || o.status === 'filled' || o.filledQty > 0)) continue;
        const ids = firstIds(c.signalId, f.name);
        const said = ids.map((id) => firstIdStatuses.get(id) ?? new Set<string>());
        // Placed under a first id, never filled as far as the journal knows, and nothing live at
        // the broker: that copy ended (a re-plan cancelled it), and the id is not sent again.
        const endedUnseen = said.some((st) => st.has('placed')) && !said.some((st) => st.has('filled'));
        if (!seen.some((o) => o.status === 'cancelled') && !endedUnseen) {
          // Nothing found under the first ids (never placed, or a broker that cannot look up an
          // ended order): a placement the broker answers with a cancelled order is no copy.
          ctx.adopted.expectNew(f.account, ids);
          continue;
        }
        const conn = connectionOf(ctx, f);
        if (!conn) continue;
        ctx.adopted.refuse(f.account, ids, conn);
      }
    line.adopted = plan.adopt.length;
    line.cancelled = await cancelOrphans(ctx, plan, byName, line.skipped);
    line.aligned = await align(ctx, line.skipped);

    // What was held (the leader's working orders, re-signalled with their first ids) goes through now.
    ctx.gate.open();
    await ctx.gate.drained();
    // A found copy the engine did not take (it planned nothing, or something else) goes.
    line.cancelled += await ctx.adopted.cancelUnclaimed((order, error) =>
      line.skipped.push({
        intentId: order.clientOrderId ?? order.orderId,
        reason: `a copy the engine did not take could not be cancelled: ${errorMessage(error)}`,
      }),
    );
    line.placed = plan.place.filter((p) => placedIds.has(p.intentId)).length;
    for (const p of plan.place)
      if (!placedIds.has(p.intentId))
        line.skipped.push({
          follower: p.follower,
          intentId: p.intentId,
          leaderOrderId: p.leaderOrderId,
          reason: 'the engine did not place the copy (see its order event)',
        });
    line.modified = await moveToLeaderPrice(ctx, plan, leaderOrders, line.skipped);
  } catch (error) {
    line.skipped.push({ reason: `recovery stopped: ${errorMessage(error)}` });
  } finally {
    ctx.gate.open();
    off();
  }
  line.ms = Date.now() - started;
  return line;
}

// ── the journal ──────────────────────────────────────────────────────────────

interface Unfinished {
  intents: JournaledIntent[];
  byId: Map<string, { intent: JournaledIntent; payload: OrderIntent }>;
  signalIds: string[];
}

/** Intents of this leader's signals never completed, that have no outcome row. */
async function unfinishedIntents(journal: Journal, leaderAccount: string): Promise<Unfinished> {
  await journal.flush().catch(() => undefined);
  const signals = await journal.db
    .selectFrom('signals')
    .select(['signal_id', 'action', 'payload'])
    .where('completed_at', 'is', null)
    .where('leader_account', '=', leaderAccount)
    .execute();
  const out: Unfinished = { intents: [], byId: new Map(), signalIds: signals.map((s) => s.signal_id) };
  if (signals.length === 0) return out;
  const bySignal = new Map(signals.map((s) => [s.signal_id, s]));
  const rows = await journal.db
    .selectFrom('intents')
    .select(['intent_id', 'signal_id', 'follower', 'leg', 'action', 'payload'])
    .where('signal_id', 'in', [...bySignal.keys()])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('orders')
            .select('orders.id')
            .whereRef('orders.intent_id', '=', 'intents.intent_id')
            .where('orders.status', 'in', OUTCOMES),
        ),
      ),
    )
    .orderBy('intent_id')
    .execute();
  for (const row of rows) {
    const signal = bySignal.get(row.signal_id);
    const payload = (signal?.payload ?? {}) as { leaderOrderId?: string };
    const intent: JournaledIntent = {
      intentId: row.intent_id,
      signalId: row.signal_id,
      follower: row.follower,
      leg: row.leg,
      action: row.action,
      ...(payload.leaderOrderId !== undefined ? { leaderOrderId: payload.leaderOrderId } : {}),
      ...(signal?.action ? { signalAction: signal.action } : {}),
    };
    out.intents.push(intent);
    out.byId.set(row.intent_id, { intent, payload: row.payload as OrderIntent });
  }
  return out;
}

/** Journaled copies of leader `new` signals that are working at a follower although their leader order is not. */
async function journaledCopies(
  journal: Journal,
  openByFollower: Map<string, Map<string, BrokerOrder> | undefined>,
): Promise<{ intent: JournaledIntent & { leaderOrderId: string }; lookup: Lookup & { state: 'found' } }[]> {
  const open = new Map<string, BrokerOrder>();
  for (const orders of openByFollower.values()) for (const [id, o] of orders ?? []) open.set(id, o);
  if (open.size === 0) return [];
  const out: { intent: JournaledIntent & { leaderOrderId: string }; lookup: Lookup & { state: 'found' } }[] =
    [];
  const ids = [...open.keys()];
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await journal.db
      .selectFrom('intents')
      .select(['intent_id', 'signal_id', 'follower', 'leg', 'action'])
      .where('intent_id', 'in', ids.slice(i, i + 1000))
      .execute();
    // A copy re-planned after the leader's position moved (or after an outage) is placed
    // under `<signal id>~replan-<n>`: it copies the same leader order as its signal.
    const baseOf = (signalId: string) => signalId.replace(/~replan-\d+$/, '');
    const bases = [...new Set(rows.map((r) => baseOf(r.signal_id)))];
    const signals =
      bases.length === 0
        ? []
        : await journal.db
            .selectFrom('signals')
            .select(['signal_id', 'payload'])
            .where('signal_id', 'in', bases)
            .execute();
    const leaderOrderOf = new Map(
      signals.map((s) => [s.signal_id, (s.payload as { leaderOrderId?: string } | null)?.leaderOrderId]),
    );
    for (const row of rows) {
      const leaderOrderId = leaderOrderOf.get(baseOf(row.signal_id));
      if (leaderOrderId === undefined) continue;
      const order = open.get(row.intent_id)!;
      out.push({
        intent: {
          intentId: row.intent_id,
          signalId: row.signal_id,
          follower: row.follower,
          leg: row.leg,
          action: row.action,
          leaderOrderId,
          signalAction: 'new',
        },
        lookup: { state: 'found', order },
      });
    }
  }
  return out.sort((a, b) => a.intent.intentId.localeCompare(b.intent.intentId));
}

/** The ids a leader order's first copy is placed under: its entry, or a reversal's close and open. */
function firstIds(signalId: string, follower: string): string[] {
  return ['entry', 'close', 'open'].map((leg) => intentId(signalId, follower, leg));
}

/** The shape of an intent id (`intentId` in core): a client order id this copier made. */
const OUR_ID = /^tn[0-9a-z]{22}$/;

/** The order statuses the journal recorded for each of `ids` (placed, modified…), and `filled` where it holds a fill. */
async function orderStatuses(journal: Journal, ids: readonly string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await journal.db
      .selectFrom('orders')
      .select(['intent_id', 'status'])
      .where('intent_id', 'in', ids.slice(i, i + 1000))
      .execute();
    const fills = await journal.db
      .selectFrom('executions')
      .select('intent_id')
      .where('intent_id', 'in', ids.slice(i, i + 1000))
      .execute();
    for (const [id, status] of [
      ...rows.map((r) => [r.intent_id, r.status] as const),
      ...fills.map((r) => [r.intent_id, 'filled'] as const),
    ]) {
      if (id === null) continue;
      const set = out.get(id) ?? new Set<string>();
      set.add(status);
      out.set(id, set);
    }
  }
  return out;
}

/** Working follower orders under this copier's ids that the journal has no intent for, and `explained` does not name. */
async function unjournaled(
  journal: Journal,
  openByFollower: Map<string, Map<string, BrokerOrder> | undefined>,
  explained: ReadonlySet<string>,
): Promise<{ intent: JournaledIntent; lookup: Lookup }[]> {
  const candidates: { follower: string; id: string; order: BrokerOrder }[] = [];
  for (const [follower, orders] of openByFollower)
    for (const [id, order] of orders ?? [])
      if (OUR_ID.test(id) && !explained.has(id) && order.parentOrderId === undefined)
        candidates.push({ follower, id, order });
  if (candidates.length === 0) return [];
  const known = new Set<string>();
  for (let i = 0; i < candidates.length; i += 1000) {
    const rows = await journal.db
      .selectFrom('intents')
      .select('intent_id')
      .where(
        'intent_id',
        'in',
        candidates.slice(i, i + 1000).map((c) => c.id),
      )
      .execute();
    for (const r of rows) known.add(r.intent_id);
  }
  return candidates
    .filter((c) => !known.has(c.id))
    .map((c) => ({
      intent: {
        intentId: c.id,
        signalId: '(not journaled)',
        follower: c.follower,
        leg: 'unknown',
        action: 'place',
      },
      lookup: { state: 'found', order: c.order },
    }));
}

/** `order-reconciled` for every settled intent: the journal then holds its outcome. */
function recordSettled(
  ctx: RecoveryContext,
  plan: RecoveryPlan,
  byId: Map<string, { intent: JournaledIntent; payload: OrderIntent }>,
): void {
  for (const s of plan.settled) {
    const payload = byId.get(s.intentId)?.payload;
    if (!payload) continue;
    ctx.bus.publish({
      type: 'order-reconciled',
      time: Date.now(),
      intent: payload,
      outcome: s.outcome,
      ...(s.orderId !== undefined ? { orderId: s.orderId } : {}),
    });
  }
}

/** Completes the journal's unfinished signals with what recovery found; returns how many. */
function closeSignals(ctx: RecoveryContext, plan: RecoveryPlan, unfinished: Unfinished | undefined): number {
  if (!unfinished) return 0;
  const settled = new Map(plan.settled.map((s) => [s.intentId, s]));
  const bySignal = new Map<string, EventOutcome[]>();
  for (const id of unfinished.signalIds) bySignal.set(id, []);
  for (const { intent } of unfinished.byId.values()) {
    const s = settled.get(intent.intentId);
    bySignal.get(intent.signalId)?.push({
      follower: intent.follower,
      intentId: intent.intentId,
      leg: intent.leg,
      outcome: s?.outcome === 'placed' ? 'placed' : 'skipped',
    });
  }
  for (const [signalId, outcomes] of bySignal)
    ctx.bus.publish({ type: 'signal-completed', time: Date.now(), signalId, outcomes });
  return bySignal.size;
}

type EventOutcome = Extract<EngineEvent, { type: 'signal-completed' }>['outcomes'][number];

// ── the brokers ──────────────────────────────────────────────────────────────

function connectionOf(ctx: RecoveryContext, f: FollowerConfig): BrokerConnection | undefined {
  return ctx.connections[f.connection ?? f.broker];
}

/** Each follower's working orders by client order id (undefined when its broker could not be asked). */
async function followerOpenOrders(
  ctx: RecoveryContext,
  followers: readonly FollowerConfig[],
): Promise<Map<string, Map<string, BrokerOrder> | undefined>> {
  const out = new Map<string, Map<string, BrokerOrder> | undefined>();
  await Promise.all(
    followers.map(async (f) => {
      const c = connectionOf(ctx, f);
      try {
        const orders = c ? await c.getOpenOrders(f.account) : undefined;
        out.set(
          f.name,
          orders &&
            new Map(
              orders.flatMap((o) =>
                o.clientOrderId && LIVE.has(o.status) ? [[o.clientOrderId, o] as const] : [],
              ),
            ),
        );
      } catch {
        out.set(f.name, undefined);
      }
    }),
  );
  return out;
}

async function lookUp(
  ctx: RecoveryContext,
  f: FollowerConfig,
  clientOrderId: string,
  open: Map<string, Map<string, BrokerOrder> | undefined>,
): Promise<Lookup> {
  const working = open.get(f.name)?.get(clientOrderId);
  if (working) return { state: 'found', order: working };
  const c = connectionOf(ctx, f);
  if (!c) return { state: 'unknown', reason: 'no connection' };
  if (!c.findOrderByClientId) {
    // Without a lookup only working orders can be seen: a filled copy would look absent.
    return open.get(f.name) ? { state: 'absent' } : { state: 'unknown', reason: 'broker cannot be asked' };
  }
  try {
    const found = await c.findOrderByClientId(f.account, clientOrderId);
    return found ? { state: 'found', order: found } : { state: 'absent' };
  } catch (error) {
    return { state: 'unknown', reason: errorMessage(error) };
  }
}

/** The leader's working parent orders (children ride on their parent's copy). */
async function leaderWorkingOrders(ctx: RecoveryContext): Promise<BrokerOrder[]> {
  const orders = await ctx.leaderConnection.getOpenOrders(ctx.config.leader.account);
  return orders
    .filter(
      (o) =>
        o.parentOrderId === undefined &&
        (o.status === 'working' || o.status === 'partially-filled') &&
        o.orderType !== 'market',
    )
    .sort((a, b) => a.orderId.localeCompare(b.orderId));
}

async function cancelOrphans(
  ctx: RecoveryContext,
  plan: RecoveryPlan,
  byName: Map<string, FollowerConfig>,
  skipped: SkipLine[],
): Promise<number> {
  let done = 0;
  const later: LaterCancel[] = [];
  for (const c of plan.cancel) {
    const f = byName.get(c.follower);
    const connection = f && connectionOf(ctx, f);
    if (!f || !connection) continue;
    try {
      await connection.cancelOrder({ accountId: f.account, orderId: c.orderId });
      ctx.bus.publish({
        type: 'order-cancelled',
        time: Date.now(),
        follower: f.name,
        accountId: f.account,
        orderId: c.orderId,
        reason: 'recovery: the leader order it copies ended while the copier was down',
      });
      done++;
    } catch (error) {
      if (!isTransient(error)) {
        skipped.push({
          follower: f.name,
          intentId: c.intentId,
          reason: `cancel failed: ${errorMessage(error)}`,
        });
        continue;
      }
      // Refused for now (rate limit, timeout, broker away): never left working; sent again
      // in the background so the held signals are not kept waiting behind it.
      skipped.push({
        follower: f.name,
        intentId: c.intentId,
        reason: `cancel refused for now (${errorMessage(error)}); sent again until the broker takes it`,
      });
      later.push({
        follower: f,
        connection,
        orderId: c.orderId,
        reason: errorMessage(error),
        waitMs: waitOf(error),
      });
    }
  }
  if (later.length > 0) void cancelLater(ctx, later);
  return done;
}

/** A broker refusal that waiting can change. */
function isTransient(error: unknown): boolean {
  return (
    error instanceof BrokerRateLimitedError ||
    error instanceof BrokerTimeoutError ||
    error instanceof BrokerDisconnectedError ||
    error instanceof BrokerUnavailableError
  );
}

interface LaterCancel {
  follower: FollowerConfig;
  connection: BrokerConnection;
  orderId: string;
  reason: string;
  /** What the broker asked to wait (a rate limit's retry-after), else 0. */
  waitMs: number;
}

const waitOf = (error: unknown) => (error instanceof BrokerRateLimitedError ? error.retryAfterMs : 0);

/** How often, and how many times, a refused orphan cancel is sent again (10 minutes in all). */
const CANCEL_RETRY_MS = 5000;
const CANCEL_ATTEMPTS = 120;

/**
 * Sends the orphan cancels a broker refused for now again until it takes them, saying
 * `follower-recovery` pending meanwhile and `recovered` once a follower has none left.
 * Timers are unref'd: a copier that stops does not wait for them.
 */
async function cancelLater(ctx: RecoveryContext, cancels: LaterCancel[]): Promise<void> {
  const left = new Set(cancels);
  const followers = new Map(cancels.map((c) => [c.follower.name, c.follower]));
  const say = (f: FollowerConfig, state: 'pending' | 'recovered', reason?: string) =>
    ctx.bus.publish({
      type: 'follower-recovery',
      time: Date.now(),
      follower: f.name,
      accountId: f.account,
      state,
      ...(reason !== undefined ? { reason: `orphan copy not cancelled yet: ${reason}` } : {}),
    });
  for (const c of cancels) say(c.follower, 'pending', c.reason);
  for (let attempt = 1; attempt <= CANCEL_ATTEMPTS && left.size > 0; attempt++) {
    const wait = Math.max(CANCEL_RETRY_MS, ...[...left].map((c) => c.waitMs));
    await new Promise((resolve) => setTimeout(resolve, wait).unref());
    for (const c of [...left]) {
      try {
        await c.connection.cancelOrder({ accountId: c.follower.account, orderId: c.orderId });
        ctx.bus.publish({
          type: 'order-cancelled',
          time: Date.now(),
          follower: c.follower.name,
          accountId: c.follower.account,
          orderId: c.orderId,
          reason: 'recovery: the leader order it copies ended while the copier was down',
        });
      } catch (error) {
        if (isTransient(error)) {
          c.reason = errorMessage(error);
          c.waitMs = waitOf(error);
          continue;
        }
        // Rejected or unknown: the order ended at the broker meanwhile.
      }
      left.delete(c);
    }
    for (const [name, f] of followers)
      if (![...left].some((c) => c.follower.name === name)) {
        say(f, 'recovered');
        followers.delete(name);
      }
  }
}

/** Reconciles every follower with the policy; returns the positions ordered (align) and notes the rest. */
async function align(ctx: RecoveryContext, skipped: SkipLine[]): Promise<number> {
  const policy = ctx.policy === 'align' ? 'align' : 'alert';
  const result = await ctx.engine.reconcile(undefined, policy);
  for (const [follower, why] of result.failed)
    skipped.push({
      follower,
      reason: `not reconciled yet: ${why} (the engine tries again every few seconds while connected)`,
    });
  let ordered = 0;
  for (const [follower, lines] of result) {
    for (const l of lines) {
      if (l.order !== 0) ordered++;
      else if (l.broker !== l.target)
        skipped.push({
          follower,
          reason: `${policy === 'alert' ? 'alert' : 'not aligned'}: ${l.contract.root} holds ${l.broker}, its rules make ${l.target}`,
        });
    }
  }
  return ordered;
}

/** Adopted copies whose price differs from the leader's: one modify signal each, to those followers only. */
async function moveToLeaderPrice(
  ctx: RecoveryContext,
  plan: RecoveryPlan,
  leaderOrders: readonly BrokerOrder[],
  skipped: SkipLine[],
): Promise<number> {
  let moved = 0;
  const orders = new Map(leaderOrders.map((o) => [o.orderId, o]));
  for (const m of plan.modify) {
    const order = orders.get(m.leaderOrderId);
    if (!order) continue;
    const tickSize = defaultInstruments.get(order.contract.root).tickSize;
    const now = Date.now();
    const result = await ctx.engine.submit(
      {
        signalId: `recovery:${ctx.config.leader.account}:${m.leaderOrderId}:modify:${m.limitTicks ?? ''}:${m.stopTicks ?? ''}`,
        leaderAccount: ctx.config.leader.account,
        action: 'modify',
        leaderOrderId: m.leaderOrderId,
        leg: 'entry',
        detectedAt: now,
        receivedAt: now,
        ...(m.limitTicks !== undefined ? { limitPrice: ticksToPrice(m.limitTicks, tickSize) } : {}),
        ...(m.stopTicks !== undefined ? { stopPrice: ticksToPrice(m.stopTicks, tickSize) } : {}),
      },
      { followers: m.followers },
    );
    if (result.ok) moved += result.outcomes.filter((o) => o.outcome === 'placed').length;
    else skipped.push({ leaderOrderId: m.leaderOrderId, reason: `modify refused: ${result.error.message}` });
  }
  return moved;
}
