import { type Contract, contractKey } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import { sideSign } from '../model/common.js';
import type { Execution } from '../model/execution.js';
import type { Position } from '../model/position.js';
import type { Money } from '../money/money.js';
import { averageTicksToPrice, type Ticks } from '../money/price.js';
import { PositionLedger } from './ledger.js';

interface Entry {
  accountId: string;
  contract: Contract;
  key: string;
  ledger: PositionLedger;
}

/** Mark prices per contract key: last trade, else bid/ask by the side that would close. */
interface Mark {
  last?: Ticks;
  bid?: Ticks;
  ask?: Ticks;
}

/** Net position, average price and P&L per account and contract, from fills. */
export class PositionTracker {
  readonly #entries = new Map<string, Entry>();
  readonly #byAccount = new Map<string, Entry[]>();
  readonly #marks = new Map<string, Mark>();
  readonly #seenFills = new RecentIds(SEEN_FILLS_WINDOW_MS);
  readonly #instruments: InstrumentRegistry;

  constructor(instruments: InstrumentRegistry) {
    this.#instruments = instruments;
  }

  /**
   * Applies a fill once, under `account` (a follower name, say; the broker's
   * account id by default): a fill id seen before is ignored (brokers resend on
   * reconnect). Returns the updated position, or undefined for a duplicate.
   */
  applyExecution(execution: Execution, account: string = execution.accountId): Position | undefined {
    const fillKey = `${execution.broker}\u0000${execution.accountId}\u0000${execution.executionId}`;
    if (this.#seenFills.seen(fillKey, execution.time)) return undefined;
    const entry = this.#entry(account, execution.contract);
    entry.ledger.apply(sideSign(execution.side) * execution.qty, execution.priceTicks);
    return this.#snapshot(entry);
  }

  /** Records a market price used to mark unrealized P&L. */
  mark(contract: Contract, price: { last?: Ticks; bid?: Ticks; ask?: Ticks }): void {
    const key = contractKey(contract);
    const m = this.#marks.get(key) ?? {};
    if (price.last !== undefined) m.last = price.last;
    if (price.bid !== undefined) m.bid = price.bid;
    if (price.ask !== undefined) m.ask = price.ask;
    this.#marks.set(key, m);
  }

  /** Signed net quantity of one contract in one account. */
  netQty(accountId: string, contract: Contract): number {
    return this.#entries.get(`${accountId}\u0000${contractKey(contract)}`)?.ledger.netQty ?? 0;
  }

  /** Net quantity per contract key of one account (flat contracts omitted). */
  netPositions(accountId: string): { contract: Contract; netQty: number }[] {
    return (this.#byAccount.get(accountId) ?? [])
      .filter((e) => e.ledger.netQty !== 0)
      .map((e) => ({ contract: e.contract, netQty: e.ledger.netQty }));
  }

  position(accountId: string, contract: Contract): Position {
    return this.#snapshot(this.#entry(accountId, contract));
  }

  /** Every position (including flat ones with realized P&L) of one account, sorted by contract key. */
  positions(accountId: string): Position[] {
    return [...(this.#byAccount.get(accountId) ?? [])]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((e) => this.#snapshot(e));
  }

  /** Realized and unrealized P&L summed over the account's contracts. */
  pnl(accountId: string): { realized: Money; unrealized: Money } {
    let realized = 0;
    let unrealized = 0;
    for (const e of this.#byAccount.get(accountId) ?? []) {
      realized += e.ledger.realized;
      unrealized += this.#unrealized(e);
    }
    return { realized, unrealized };
  }

  #unrealized(e: Entry): Money {
    const net = e.ledger.netQty;
    if (net === 0) return 0;
    const m = this.#marks.get(e.key);
    const markTicks = m?.last ?? (net > 0 ? m?.bid : m?.ask);
    if (markTicks === undefined) return 0;
    return e.ledger.unrealizedAt(markTicks);
  }

  #entry(accountId: string, contract: Contract): Entry {
    const key = contractKey(contract);
    const id = `${accountId}\u0000${key}`;
    let entry = this.#entries.get(id);
    if (!entry) {
      const spec = this.#instruments.get(contract.root);
      entry = { accountId, contract, key, ledger: new PositionLedger(spec.tickValue) };
      this.#entries.set(id, entry);
      const list = this.#byAccount.get(accountId);
      if (list) list.push(entry);
      else this.#byAccount.set(accountId, [entry]);
    }
    return entry;
  }

  #snapshot(e: Entry): Position {
    const spec = this.#instruments.get(e.contract.root);
    const net = e.ledger.netQty;
    return {
      accountId: e.accountId,
      contract: e.contract,
      netQty: net,
      avgPrice: net === 0 ? '0' : averageTicksToPrice(e.ledger.costTicks, Math.abs(net), spec.tickSize),
      realizedPnl: e.ledger.realized,
      unrealizedPnl: this.#unrealized(e),
    };
  }
}

/** How long (by fill time) a fill id is remembered for spotting a resend. */
const SEEN_FILLS_WINDOW_MS = 2 * 86_400_000;

/**
 * Ids seen within a time window, in two generations of one window each: what a broker resends
 * on reconnect is recent, and memory stays bounded however long the engine runs (a replay of
 * millions of lines). An id older than everything still remembered counts as seen: a resend
 * from before the window is never applied twice.
 */
class RecentIds {
  #current = new Set<string>();
  #previous = new Set<string>();
  #currentFrom = Number.NEGATIVE_INFINITY;
  #previousFrom = Number.NEGATIVE_INFINITY;
  /** Ids stamped before this were forgotten. */
  #forgottenBefore = Number.NEGATIVE_INFINITY;
  readonly #windowMs: number;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** True when `id` was seen before (or is older than what is remembered); notes it otherwise. */
  seen(id: string, time: number): boolean {
    if (time < this.#forgottenBefore) return true;
    if (this.#current.has(id) || this.#previous.has(id)) return true;
    if (this.#currentFrom === Number.NEGATIVE_INFINITY) this.#currentFrom = time;
    else if (time - this.#currentFrom >= this.#windowMs) {
      // The generation dropped now held the ids stamped before the current one began.
      if (this.#previousFrom !== Number.NEGATIVE_INFINITY) this.#forgottenBefore = this.#currentFrom;
      this.#previous = this.#current;
      this.#previousFrom = this.#currentFrom;
      this.#current = new Set();
      this.#currentFrom = time;
    }
    this.#current.add(id);
    return false;
  }
}
