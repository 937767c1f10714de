/**
 * The reference model of copy trading, written from the documented semantics
 * (docs/signals.md, docs/config.md, DESIGN.md "The leader's order life") and not
 * from the engine: the leader's position per instrument, its working orders
 * filling when quotes move through them, and what a follower must hold.
 *
 * Prices are integer quarter ticks (every instrument here ticks by 0.25). The
 * session generator never puts a working price inside a quote's [bid, ask], so
 * "the price reached the order" has one meaning whatever the broker's rule.
 */
import type { FollowerConfig } from '../../src/index.js';

export type Side = 'buy' | 'sell';
export type OrderType = 'limit' | 'stop' | 'stop-limit';
export type Leg = 'entry' | 'stop-loss' | 'take-profit';
/** What an order did to the leader's position when it was placed. */
export type Role = 'entry' | 'exit' | 'reversal';

export interface WorkingOrder {
  /** The leader order id (a bracket leg shares its entry's id). */
  id: string;
  leg: Leg;
  root: string;
  side: Side;
  qty: number;
  type: OrderType;
  limit?: number;
  stop?: number;
  /** A stop-limit whose stop was reached rests as a limit. */
  triggered: boolean;
  role: Role;
}

/** Price string → quarter ticks. */
export const toTicks = (price: string | number): number => Math.round(Number(price) * 4);
/** Quarter ticks → price string with two decimals (exact for quarters). */
export const toPrice = (ticks: number): string => (ticks / 4).toFixed(2);
/** `MNQZ5`, `MNQZ25`, `MNQ 12-25` or `MNQ` → `MNQ`. */
export const rootOf = (instrument: string): string =>
  instrument.replace(/ \d{1,2}-\d{2}$/, '').replace(/[FGHJKMNQUVXZ]\d{1,2}$/, '');

const sign = (side: Side): number => (side === 'buy' ? 1 : -1);
const key = (id: string, leg: Leg): string => `${id}#${leg}`;

/** Role of an order of `side`/`qty` against a position. */
export function roleOf(position: number, side: Side, qty: number): Role {
  if (position === 0 || Math.sign(position) === sign(side)) return 'entry';
  return qty <= Math.abs(position) ? 'exit' : 'reversal';
}

/** The leader as the documents describe it: positions and working orders, driven by replay records. */
export class LeaderBook {
  readonly positions = new Map<string, number>();
  readonly orders = new Map<string, WorkingOrder>();
  readonly quotes = new Map<string, { bid: number; ask: number }>();

  position(root: string): number {
    return this.positions.get(root) ?? 0;
  }

  working(root?: string): WorkingOrder[] {
    return [...this.orders.values()].filter((o) => root === undefined || o.root === root);
  }

  get(id: string, leg: Leg = 'entry'): WorkingOrder | undefined {
    return this.orders.get(key(id, leg));
  }

  /** Applies one replay record (the JSON object of a line). */
  apply(record: Record<string, unknown>): void {
    if (record.type === 'quote') {
      const root = rootOf(String(record.instrument));
      const q = { bid: toTicks(record.bid as string), ask: toTicks(record.ask as string) };
      this.quotes.set(root, q);
      this.#cross(root, q);
      return;
    }
    if (record.action === undefined) return;
    switch (record.action) {
      case 'new':
        this.#new(record);
        return;
      case 'modify': {
        const o = this.get(String(record.leaderOrderId), (record.leg as Leg | undefined) ?? 'entry');
        if (!o) return;
        if (typeof record.qty === 'number') o.qty = record.qty;
        if (record.limitPrice !== undefined) o.limit = toTicks(record.limitPrice as string);
        if (record.stopPrice !== undefined) o.stop = toTicks(record.stopPrice as string);
        return;
      }
      case 'cancel':
        this.orders.delete(key(String(record.leaderOrderId), (record.leg as Leg | undefined) ?? 'entry'));
        return;
      case 'flatten': {
        const only = record.instrument === undefined ? undefined : rootOf(String(record.instrument));
        for (const root of this.positions.keys())
          if (only === undefined || root === only) this.positions.set(root, 0);
        return;
      }
    }
  }

  #new(r: Record<string, unknown>): void {
    const root = rootOf(String(r.instrument));
    const side = r.side as Side;
    const qty = r.qty as number;
    const id = String(r.leaderOrderId);
    const role = roleOf(this.position(root), side, qty);
    if (r.orderType === 'market') {
      this.#fill(root, side, qty);
      const bracket = r.bracket as
        | { stopLoss?: { ticks: number }; takeProfit?: { ticks: number } }
        | undefined;
      if (bracket) {
        // Children close the entry: on the other side, `ticks` from the fill price.
        const fill = toTicks(r.fillPrice as string);
        const exit: Side = side === 'buy' ? 'sell' : 'buy';
        const away = sign(side);
        if (bracket.stopLoss) {
          this.#add({
            id,
            leg: 'stop-loss',
            root,
            side: exit,
            qty,
            type: 'stop',
            role: 'exit',
            triggered: false,
            stop: fill - away * bracket.stopLoss.ticks,
          });
        }
        if (bracket.takeProfit) {
          this.#add({
            id,
            leg: 'take-profit',
            root,
            side: exit,
            qty,
            type: 'limit',
            role: 'exit',
            triggered: false,
            limit: fill + away * bracket.takeProfit.ticks,
          });
        }
      }
      return;
    }
    const order: WorkingOrder = {
      id,
      leg: 'entry',
      root,
      side,
      qty,
      type: r.orderType as OrderType,
      triggered: false,
      role,
    };
    if (r.limitPrice !== undefined) order.limit = toTicks(r.limitPrice as string);
    if (r.stopPrice !== undefined) order.stop = toTicks(r.stopPrice as string);
    this.#add(order);
    const q = this.quotes.get(root);
    if (q) this.#cross(root, q);
  }

  #add(o: WorkingOrder): void {
    this.orders.set(key(o.id, o.leg), o);
  }

  #fill(root: string, side: Side, qty: number): void {
    this.positions.set(root, this.position(root) + sign(side) * qty);
  }

  /** Fills every order of `root` the quote reached (a stop first triggers, a stop-limit then rests). */
  #cross(root: string, q: { bid: number; ask: number }): void {
    for (const o of this.working(root)) {
      if (!this.orders.has(key(o.id, o.leg))) continue; // cancelled by its OCO sibling in this pass
      const buy = o.side === 'buy';
      if ((o.type === 'stop' || o.type === 'stop-limit') && !o.triggered) {
        const reached = buy ? q.ask >= o.stop! : q.bid <= o.stop!;
        if (!reached) continue;
        o.triggered = true;
      }
      const fills = o.type === 'stop' || (buy ? q.ask <= o.limit! : q.bid >= o.limit!);
      if (!fills) continue;
      this.orders.delete(key(o.id, o.leg));
      this.#fill(root, o.side, o.qty);
      // A bracket's legs are one-cancels-other.
      if (o.leg === 'stop-loss') this.orders.delete(key(o.id, 'take-profit'));
      if (o.leg === 'take-profit') this.orders.delete(key(o.id, 'stop-loss'));
    }
  }

  /** Every working price (stop and limit) in `roots`: quotes must stay clear of them. */
  prices(roots: readonly string[]): number[] {
    return this.working()
      .filter((o) => roots.includes(o.root))
      .flatMap((o) => [o.limit, o.stop].filter((p): p is number => p !== undefined));
  }
}

/** The follower root a leader root is traded as. */
export const targetRoot = (f: FollowerConfig, root: string): string => f.symbolMap[root]?.to ?? root;

/**
 * Contracts per leader source for this follower, when its rule is exact: an
 * integer multiple (multiplier × map ratio, or equity with a fixed follower
 * equity), signed for inverse. `undefined` when the rule rounds, caps or depends
 * on P&L or stops: only flatness and side are modelled for it.
 */
export function exactRatio(f: FollowerConfig, root: string): number | undefined {
  if (f.minQty !== undefined || f.maxQty !== undefined) return undefined;
  const ratio = f.symbolMap[root]?.ratio ?? 1;
  let k: number | undefined;
  const s = f.scaling;
  if (s.mode === 'multiplier') k = s.factor * ratio;
  else if (s.mode === 'equity' && s.followerEquity !== undefined) {
    k = (ratio * Number(s.followerEquity)) / Number(s.leaderEquity);
  }
  if (k === undefined || !Number.isInteger(k) || k <= 0) return undefined;
  return f.inverse ? -k : k;
}

export type ViolationKind =
  | 'leader'
  | 'exact'
  | 'flat'
  | 'side'
  | 'disabled'
  | 'outcome'
  | 'determinism'
  | 'drift'
  | 'error';

export interface Violation {
  kind: ViolationKind;
  /** Input line the state was checked after (0: the end of the run). */
  line: number;
  follower?: string;
  message: string;
}

/**
 * Checks one follower's positions (by root) against the leader's, after a
 * settled record: (a) exact rules hold exactly their ratio per source, summed
 * into the follower's contract; (b) flat where every source is flat; (e) never
 * on the other side of the leader.
 */
export function checkFollower(
  f: FollowerConfig,
  leader: ReadonlyMap<string, number>,
  held: ReadonlyMap<string, number>,
  line: number,
): Violation[] {
  const out: Violation[] = [];
  const v = (kind: ViolationKind, message: string) => out.push({ kind, line, follower: f.name, message });
  if (!f.enabled) {
    for (const [root, q] of held) if (q !== 0) v('disabled', `disabled follower holds ${q} ${root}`);
    return out;
  }
  const roots = new Set<string>([...held.keys(), ...[...leader.keys()].map((r) => targetRoot(f, r))]);
  for (const root of [...roots].sort()) {
    const has = held.get(root) ?? 0;
    const sources = [...leader.entries()].filter(([r]) => targetRoot(f, r) === root);
    const live = sources.filter(([, q]) => q !== 0);
    const desc = () =>
      `${f.name} holds ${has} ${root}; leader ${sources.map(([r, q]) => `${r} ${q}`).join(', ') || 'none'}`;
    if (live.length === 0) {
      if (has !== 0) v('flat', `leader flat in every source: ${desc()}`);
      continue;
    }
    const ratios = live.map(([r, q]) => [exactRatio(f, r), q] as const);
    if (ratios.every(([k]) => k !== undefined)) {
      const want = ratios.reduce((n, [k, q]) => n + k! * q, 0);
      if (has !== want) v('exact', `expected ${want}: ${desc()}`);
      continue;
    }
    const sides = new Set(live.map(([, q]) => Math.sign(q) * (f.inverse ? -1 : 1)));
    if (sides.size === 1 && has !== 0 && Math.sign(has) !== [...sides][0]) {
      v('side', `on the other side of the leader: ${desc()}`);
    }
  }
  return out;
}

/** A follower's positions by root, from contract keys or Position objects. */
export function byRoot(entries: Iterable<[string, number]>): Map<string, number> {
  const m = new Map<string, number>();
  for (const [k, q] of entries) {
    const r = rootOf(k);
    m.set(r, (m.get(r) ?? 0) + q);
  }
  return m;
}
