import type { BrokerPosition } from '../adapter/contract.js';
import { type Contract, contractKey } from '../instruments/contract.js';
import type { Money } from '../money/money.js';
import type { Ticks } from '../money/price.js';
import { PositionLedger } from '../positions/ledger.js';

/** A read-only view of one simulated account. */
export interface PaperAccountSnapshot {
  accountId: string;
  /** Starting balance plus realized P&L, in mils. */
  balance: Money;
  /** Realized P&L of every fill so far, in mils. */
  realizedPnl: Money;
  /** Open (non-flat) positions. */
  positions: BrokerPosition[];
}

interface Holding {
  contract: Contract;
  ledger: PositionLedger;
}

/** One simulated account: cash and FIFO positions per contract. */
export class PaperAccount {
  readonly accountId: string;
  readonly startingBalance: Money;
  readonly #holdings = new Map<string, Holding>();
  #realized: Money = 0;

  constructor(accountId: string, startingBalance: Money) {
    if (!Number.isSafeInteger(startingBalance)) throw new RangeError('starting balance must be whole mils');
    this.accountId = accountId;
    this.startingBalance = startingBalance;
  }

  /** Books a fill (signed qty: + buy, − sell) and returns the position after it. */
  applyFill(contract: Contract, signedQty: number, priceTicks: Ticks, tickValue: Money): BrokerPosition {
    const key = contractKey(contract);
    let holding = this.#holdings.get(key);
    if (!holding) {
      holding = { contract: { ...contract }, ledger: new PositionLedger(tickValue) };
      this.#holdings.set(key, holding);
    }
    this.#realized += holding.ledger.apply(signedQty, priceTicks);
    return this.#position(holding);
  }

  /** Signed net quantity in one contract. */
  netQty(contract: Contract): number {
    return this.#holdings.get(contractKey(contract))?.ledger.netQty ?? 0;
  }

  /** Open positions, in the order their contracts were first traded. */
  positions(): BrokerPosition[] {
    return [...this.#holdings.values()].filter((h) => h.ledger.netQty !== 0).map((h) => this.#position(h));
  }

  /** A copy of the account as it is now. */
  snapshot(): PaperAccountSnapshot {
    return {
      accountId: this.accountId,
      balance: this.startingBalance + this.#realized,
      realizedPnl: this.#realized,
      positions: this.positions(),
    };
  }

  #position(holding: Holding): BrokerPosition {
    const netQty = holding.ledger.netQty;
    return {
      accountId: this.accountId,
      contract: { ...holding.contract },
      netQty,
      // Fractional on purpose: the average of whole-tick lots (the contract allows it).
      avgPriceTicks: netQty === 0 ? 0 : holding.ledger.costTicks / Math.abs(netQty),
    };
  }
}
