import type { Money } from '../money/money.js';
import type { Ticks } from '../money/price.js';

interface Lot {
  qty: number;
  priceTicks: Ticks;
}

/**
 * FIFO lots of one contract in one account. Realized P&L closes the oldest
 * lots first, so every figure is an integer of ticks × qty × tick value: exact.
 */
export class PositionLedger {
  #lots: Lot[] = [];
  /** +1 long, -1 short, 0 flat. */
  #sign: 1 | -1 | 0 = 0;
  #qty = 0;
  /** Σ lot price × lot qty, for the average and the unrealized P&L. */
  #costTicks = 0;
  #realized: Money = 0;
  readonly #tickValue: Money;

  constructor(tickValue: Money) {
    this.#tickValue = tickValue;
  }

  /** Signed net quantity. */
  get netQty(): number {
    return this.#sign * this.#qty;
  }

  get realized(): Money {
    return this.#realized;
  }

  /** Σ price × qty of the open lots (ticks). */
  get costTicks(): number {
    return this.#costTicks;
  }

  /** Applies a fill (signed qty: + buy, - sell); returns the P&L it realized. */
  apply(signedQty: number, priceTicks: Ticks): Money {
    let remaining = Math.abs(signedQty);
    const fillSign: 1 | -1 = signedQty > 0 ? 1 : -1;
    let realized = 0;
    while (remaining > 0 && this.#sign !== 0 && this.#sign !== fillSign) {
      const lot = this.#lots[0]!;
      const take = Math.min(remaining, lot.qty);
      realized += (priceTicks - lot.priceTicks) * take * this.#sign * this.#tickValue;
      lot.qty -= take;
      this.#qty -= take;
      this.#costTicks -= take * lot.priceTicks;
      remaining -= take;
      if (lot.qty === 0) this.#lots.shift();
      if (this.#qty === 0) this.#sign = 0;
    }
    if (remaining > 0) {
      this.#lots.push({ qty: remaining, priceTicks });
      this.#sign = fillSign;
      this.#qty += remaining;
      this.#costTicks += remaining * priceTicks;
    }
    this.#realized += realized;
    return realized;
  }

  /** Unrealized P&L at a mark price. */
  unrealizedAt(markTicks: Ticks): Money {
    if (this.#sign === 0) return 0;
    return (markTicks * this.#qty - this.#costTicks) * this.#sign * this.#tickValue;
  }
}
