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
  readonly #seenFills = new Set<string>();
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
    if (this.#seenFills.has(fillKey)) return undefined;
    this.#seenFills.add(fillKey);
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
