/**
 * Random copy-trading sessions for the differential test: a config (followers of
 * every scaling kind) and replay records (quotes and leader signals). The leader's
 * actions are drawn as plain numbers and interpreted against the reference model's
 * state, so every modify and cancel names an order that is still working and
 * fast-check can shrink a session by shrinking the numbers.
 */
import fc from 'fast-check';
import { LeaderBook, roleOf, type Side, toPrice, type WorkingOrder } from './model.js';

/** What the generator may produce. Switch a feature off to keep a known defect out of a run. */
export interface GeneratorFeatures {
  /** Cancels of working exit and reversal orders (known defect 1). */
  cancelExits: boolean;
  /** Modifies (qty, price) of working exit and reversal orders (known defect 2). */
  modifyExits: boolean;
  /** A follower contract fed by two leader instruments: NQ → MNQ ×10 beside the leader's own MNQ (known defect 3). */
  sharedContracts: boolean;
  /** Check the report's drift section (known defect 4). */
  checkDrift: boolean;
  /** Market entries with a bracket, and modifies and cancels of its legs. */
  brackets: boolean;
  /** Working limit, stop and stop-limit orders, their modifies and cancels of entries. */
  workingOrders: boolean;
  /** Followers mapping NQ → MNQ ×10. */
  symbolMaps: boolean;
  /**
   * Require an outcome for a follower whose position the event leaves as it was (found here:
   * a partial exit that rounds to no change for a follower records nothing for it).
   */
  outcomeWhenUnchanged: boolean;
  /**
   * Require a reason on every skipped outcome (found here: a modify or cancel for a follower
   * that has no copy of the order is `skipped` with no reason).
   */
  reasonForSkippedChanges: boolean;
  /**
   * Market orders and more working orders in an instrument while an order works there, with
   * followers of every rule (found here: an order placed as an entry that fills after the
   * leader's position moved is not re-planned, so a fixed or rounded follower ends on the wrong
   * side or not flat). Off, only sessions whose followers are all exact trade around working orders.
   */
  ordersAroundWorking: boolean;
  /**
   * Working orders in a session with an inverse follower (found here: its copy sits on the
   * wrong side of the market at the leader's price, so it fills at once or never).
   */
  inverseWorkingOrders: boolean;
}

export const ALL_FEATURES: GeneratorFeatures = {
  cancelExits: true,
  modifyExits: true,
  sharedContracts: true,
  checkDrift: true,
  brackets: true,
  workingOrders: true,
  symbolMaps: true,
  inverseWorkingOrders: true,
  outcomeWhenUnchanged: true,
  reasonForSkippedChanges: true,
  ordersAroundWorking: true,
};

export interface GeneratorOptions {
  features: GeneratorFeatures;
  /** Leader actions per session, at most. */
  maxSteps: number;
  roots: readonly string[];
}

export const defaultOptions = (features: Partial<GeneratorFeatures> = {}): GeneratorOptions => ({
  features: { ...ALL_FEATURES, ...features },
  maxSteps: 30,
  roots: ['MNQ', 'MES', 'NQ'],
});

export interface Session {
  /** The config as written (a YAML file holds the same object). */
  config: Record<string, unknown>;
  /** Replay records, one JSON object per line. */
  records: Record<string, unknown>[];
}

const T0 = Date.parse('2025-11-24T14:30:00.000Z');
/** Roots that share one price (a quote of one is a quote of the other). */
const GROUP: Record<string, string> = { NQ: 'NQ', MNQ: 'NQ', MES: 'MES' };
const START: Record<string, number> = { NQ: 84_000, MES: 24_000 };

type FollowerSpec =
  | { kind: 'mult'; factor: number; rounding: string; reversal: string }
  | { kind: 'frac'; factor: number; rounding: string; whenZero: string }
  | { kind: 'fixed'; qty: number }
  | { kind: 'inverse'; factor: number; reversal: string }
  | { kind: 'equity'; balance: number; fixed: boolean }
  | { kind: 'risk'; percent: boolean }
  | { kind: 'mapped'; factor: number; rounding: string }
  | { kind: 'disabled' };

const rounding = fc.constantFrom('floor', 'round', 'ceil');
const reversal = fc.constantFrom('split', 'net');

function followerArb(features: GeneratorFeatures): fc.Arbitrary<FollowerSpec> {
  const kinds: fc.Arbitrary<FollowerSpec>[] = [
    fc.record({ kind: fc.constant('mult' as const), factor: fc.constantFrom(1, 2, 3), rounding, reversal }),
    fc.record({
      kind: fc.constant('frac' as const),
      factor: fc.constantFrom(0.5, 0.34, 1.5, 0.25),
      rounding,
      whenZero: fc.constantFrom('skip', 'min1'),
    }),
    fc.record({ kind: fc.constant('fixed' as const), qty: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('inverse' as const), factor: fc.constantFrom(1, 2), reversal }),
    fc.record({
      kind: fc.constant('equity' as const),
      balance: fc.constantFrom(25_000, 50_000, 150_000),
      fixed: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('risk' as const), percent: fc.boolean() }),
    fc.constant({ kind: 'disabled' as const }),
  ];
  if (features.symbolMaps) {
    kinds.push(
      fc.record({ kind: fc.constant('mapped' as const), factor: fc.constantFrom(1, 2, 0.5), rounding }),
    );
  }
  return fc.oneof(...kinds);
}

/** Followers whose rule is an integer multiple of the leader (the model sizes them exactly). */
const isExact = (s: FollowerSpec): boolean =>
  s.kind === 'mult' ||
  s.kind === 'inverse' ||
  s.kind === 'disabled' ||
  (s.kind === 'equity' && s.fixed) ||
  (s.kind === 'mapped' && Number.isInteger(s.factor));

function followerConfig(spec: FollowerSpec, i: number): Record<string, unknown> {
  const base = { name: `f${i + 1}-${spec.kind}`, account: `SIM-F${i + 1}` };
  switch (spec.kind) {
    case 'mult':
      return {
        ...base,
        scaling: { mode: 'multiplier', factor: spec.factor },
        rounding: spec.rounding,
        reversal: spec.reversal,
      };
    case 'frac':
      return {
        ...base,
        scaling: { mode: 'multiplier', factor: spec.factor },
        rounding: spec.rounding,
        whenZero: spec.whenZero,
      };
    case 'fixed':
      return { ...base, scaling: { mode: 'fixed', qty: spec.qty } };
    case 'inverse':
      return {
        ...base,
        scaling: { mode: 'multiplier', factor: spec.factor },
        inverse: true,
        reversal: spec.reversal,
      };
    case 'equity':
      return {
        ...base,
        startingBalance: spec.balance,
        scaling: {
          mode: 'equity',
          leaderEquity: 100_000,
          ...(spec.fixed ? { followerEquity: 200_000 } : {}),
        },
        whenZero: 'min1',
      };
    case 'risk':
      return {
        ...base,
        scaling: {
          mode: 'risk',
          ...(spec.percent ? { percent: 0.5 } : { amount: 200 }),
          defaultStopTicks: 40,
        },
        maxQty: 10,
      };
    case 'mapped':
      return {
        ...base,
        scaling: { mode: 'multiplier', factor: spec.factor },
        rounding: spec.rounding,
        symbolMap: { NQ: { to: 'MNQ', ratio: 10 } },
      };
    case 'disabled':
      return { ...base, enabled: false };
  }
}

/** One leader action, drawn as numbers and read against the model's state. */
type Step = [number, number, number, number];

export function sessionArb(options: GeneratorOptions): fc.Arbitrary<Session> {
  const { features } = options;
  return fc
    .record({
      followers: fc.array(followerArb(features), { minLength: 1, maxLength: 6 }),
      roots: fc.subarray([...options.roots], { minLength: 1 }),
      steps: fc.array(fc.tuple(fc.nat(99), fc.nat(9999), fc.nat(9999), fc.nat(9999)), {
        maxLength: options.maxSteps,
        size: 'max',
      }),
    })
    .map(({ followers, roots, steps }) => {
      // Without shared contracts a mapped follower's MNQ has one source: the leader trades NQ or MNQ, not both.
      const shared =
        followers.some((f) => f.kind === 'mapped') && roots.includes('NQ') && roots.includes('MNQ');
      const used = shared && !features.sharedContracts ? roots.filter((r) => r !== 'MNQ') : roots;
      return buildSession(followers, used, steps, features);
    });
}

function buildSession(
  specs: FollowerSpec[],
  roots: string[],
  steps: Step[],
  features: GeneratorFeatures,
): Session {
  const followers = specs.map(followerConfig);
  const workingOrders =
    features.workingOrders && (features.inverseWorkingOrders || !specs.some((s) => s.kind === 'inverse'));
  const config = {
    version: 1,
    leader: { name: 'leader', broker: 'paper', account: 'SIM-LEADER' },
    services: { journal: { enabled: false } },
    followers,
  };
  const book = new LeaderBook();
  const records: Record<string, unknown>[] = [];
  let time = T0;
  let seq = 0;
  const mids = new Map<string, number>(Object.entries(START));
  const push = (r: Record<string, unknown>) => {
    records.push(r);
    book.apply(r);
  };
  const at = () => new Date(time).toISOString();
  const signal = (fields: Record<string, unknown>) => {
    time += 1000;
    seq++;
    push({ time: at(), signalId: `s-${String(seq).padStart(3, '0')}`, ...fields });
  };
  const groupRoots = (g: string) => roots.filter((r) => GROUP[r] === g);
  const quoteGroup = (g: string, mid: number) => {
    mids.set(g, mid);
    for (const r of groupRoots(g)) {
      push({ time: at(), type: 'quote', instrument: `${r}Z5`, bid: toPrice(mid), ask: toPrice(mid + 1) });
    }
  };
  for (const g of new Set(roots.map((r) => GROUP[r]!))) quoteGroup(g, mids.get(g)!);

  const bid = (root: string) => mids.get(GROUP[root]!)!;
  const ask = (root: string) => bid(root) + 1;
  /** A bracket's legs are working: nothing else is sent in that root until they are gone. */
  // The re-plan defect shows only for rules that are not linear: exact followers alone may trade around working orders.
  const aroundWorking = features.ordersAroundWorking || specs.every(isExact);
  const locked = (root: string) =>
    book.working(root).some((o) => o.leg !== 'entry') || (!aroundWorking && book.working(root).length > 0);
  const isEntry = (o: WorkingOrder) =>
    o.role === 'entry' && roleOf(book.position(o.root), o.side, o.qty) === 'entry';
  /** A price `off` ticks away from the market on the side where the order rests. */
  const restingPrice = (root: string, side: Side, type: 'limit' | 'stop', off: number) =>
    (side === 'buy') === (type === 'limit') ? bid(root) - off : ask(root) + off;

  for (const [pick, a, b, c] of steps) {
    const root = roots[a % roots.length]!;
    const entries = book.working().filter((o) => o.leg === 'entry');
    const legs = book.working().filter((o) => o.leg !== 'entry');
    const modifiable = entries.filter((o) => !o.triggered && (features.modifyExits || isEntry(o)));
    const cancellable = entries.filter((o) => features.cancelExits || isEntry(o));
    if (pick < 25 && !locked(root)) {
      // A market order: entry, add, partial exit, exit or reversal.
      const side: Side = b % 2 === 0 ? 'buy' : 'sell';
      const qty = 1 + ((b >> 1) % 3);
      const bracket =
        features.brackets && book.position(root) === 0 && book.working(root).length === 0 && c % 3 === 0
          ? { bracket: { stopLoss: { ticks: 4 + (c % 8) }, takeProfit: { ticks: 4 + ((c >> 3) % 8) } } }
          : {};
      signal({
        action: 'new',
        leaderOrderId: `L-${seq + 1}`,
        instrument: `${root}Z5`,
        side,
        qty,
        orderType: 'market',
        fillPrice: toPrice(side === 'buy' ? ask(root) : bid(root)),
        ...bracket,
      });
    } else if (pick < 45 && workingOrders && !locked(root)) {
      const type = (['limit', 'stop', 'stop-limit'] as const)[b % 3]!;
      const side: Side = (b >> 2) % 2 === 0 ? 'buy' : 'sell';
      const qty = 1 + ((b >> 3) % 4);
      const off = 2 + (c % 10);
      const prices =
        type === 'limit'
          ? { limitPrice: toPrice(restingPrice(root, side, 'limit', off)) }
          : type === 'stop'
            ? { stopPrice: toPrice(restingPrice(root, side, 'stop', off)) }
            : (() => {
                const stop = restingPrice(root, side, 'stop', off);
                const beyond = ((c >> 4) % 3) * (side === 'buy' ? 1 : -1);
                return { stopPrice: toPrice(stop), limitPrice: toPrice(stop + beyond) };
              })();
      signal({
        action: 'new',
        leaderOrderId: `L-${seq + 1}`,
        instrument: `${root}Z5`,
        side,
        qty,
        orderType: type,
        ...prices,
      });
    } else if (pick < 55 && modifiable.length > 0) {
      const o = modifiable[a % modifiable.length]!;
      const fields: Record<string, unknown> = {};
      if (b % 3 !== 1) fields.qty = 1 + ((b >> 2) % 4);
      if (b % 3 !== 0) {
        const off = 2 + (c % 10);
        if (o.type === 'limit') fields.limitPrice = toPrice(restingPrice(o.root, o.side, 'limit', off));
        else {
          const stop = restingPrice(o.root, o.side, 'stop', off);
          fields.stopPrice = toPrice(stop);
          if (o.type === 'stop-limit') fields.limitPrice = toPrice(stop + (o.limit! - o.stop!));
        }
      }
      signal({ action: 'modify', leaderOrderId: o.id, ...fields });
    } else if (pick < 63 && cancellable.length > 0) {
      const o = cancellable[a % cancellable.length]!;
      signal({ action: 'cancel', leaderOrderId: o.id });
    } else if (pick < 68 && legs.length > 0) {
      const o = legs[a % legs.length]!;
      if (b % 2 === 0) {
        signal({ action: 'cancel', leaderOrderId: o.id, leg: o.leg });
      } else {
        const off = 2 + (c % 10);
        const price = restingPrice(o.root, o.side, o.type === 'limit' ? 'limit' : 'stop', off);
        signal({
          action: 'modify',
          leaderOrderId: o.id,
          leg: o.leg,
          ...(o.type === 'limit' ? { limitPrice: toPrice(price) } : { stopPrice: toPrice(price) }),
        });
      }
    } else if (pick < 72) {
      // Flatten one root or all; working orders in scope are cancelled first, one signal each.
      const all = b % 3 === 0;
      const scope = book.working().filter((o) => all || o.root === root);
      if (!features.cancelExits && scope.some((o) => o.leg === 'entry' && !isEntry(o))) continue;
      for (const o of scope) {
        signal({ action: 'cancel', leaderOrderId: o.id, ...(o.leg === 'entry' ? {} : { leg: o.leg }) });
      }
      signal({ action: 'flatten', ...(all ? {} : { instrument: `${root}Z5` }) });
    } else {
      // Prices move: often straight through a working price, else a random step.
      const g = GROUP[root]!;
      const working = book.prices(groupRoots(g));
      let mid: number;
      if (working.length > 0 && c % 2 === 0) {
        const target = working[(c >> 1) % working.length]!;
        mid = b % 2 === 0 ? target + 1 + ((b >> 1) % 3) : target - 2 - ((b >> 1) % 3);
      } else {
        mid = mids.get(g)! + (b % 25) - 12;
      }
      // Never a working price inside [bid, ask]: "the price reached it" has one meaning.
      for (let i = 0; working.some((p) => p >= mid && p <= mid + 1) && i < 20; i++)
        mid += i % 2 === 0 ? i + 1 : -(i + 1);
      if (working.some((p) => p >= mid && p <= mid + 1)) continue;
      time += 1000;
      quoteGroup(g, mid);
    }
  }
  return { config, records };
}
