import type { Contract } from '../instruments/contract.js';
import type { Money } from '../money/money.js';

/** A net position in one contract with its P&L. Prices are exact decimal strings, money in mils. */
export interface Position {
  accountId: string;
  contract: Contract;
  /** Signed: positive long, negative short. */
  netQty: number;
  /** Average entry price of the open quantity (exact where it terminates, else to ten decimals); `0` when flat. */
  avgPrice: string;
  realizedPnl: Money;
  unrealizedPnl: Money;
}
