/**
 * One pure function per risk rule. Each returns `undefined` when the order may go and a
 * `RiskBlock` naming the numbers when it may not; nothing is allocated on the passing path.
 */
import { type Contract, contractKey, sameContract } from '../instruments/contract.js';
import type { InstrumentRegistry } from '../instruments/registry.js';
import { type Side, sideSign } from '../model/common.js';
import { formatMoney, type Money } from '../money/money.js';
import { RiskReason } from './reasons.js';
import { type CompiledWindow, clockPastFlatBy, clockWithinWindows, type LocalClock } from './session.js';

/** Why an order may not go, for the `order-blocked` event. */
export interface RiskBlock {
  reason: RiskReason;
  message: string;
}

/** A net position of one account in one contract. */
export interface NetPosition {
  contract: Contract;
  netQty: number;
}

/** A net position of another account of the same prop firm. */
export interface FirmPosition extends NetPosition {
  accountId: string;
}

/** Length of the order-rate window. */
export const ORDER_RATE_WINDOW_MS = 60_000;

function block(reason: RiskReason, message: string): RiskBlock {
  return { reason, message };
}

/** Blocks an order larger than `maxOrderQty`. */
export function checkMaxOrderQty(qty: number, maxOrderQty: number | undefined): RiskBlock | undefined {
  if (maxOrderQty === undefined || qty <= maxOrderQty) return undefined;
  return block(RiskReason.MaxOrderQty, `order qty ${qty} exceeds maxOrderQty ${maxOrderQty}`);
}

/** The cap for one root: a single cap, or the root's entry in a per-root map (no entry: no cap). */
export function positionCap(
  root: string,
  maxPosition: number | ReadonlyMap<string, number> | undefined,
): number | undefined {
  return typeof maxPosition === 'number' ? maxPosition : maxPosition?.get(root);
}

/** Blocks an order that would leave |position| in this contract above the cap for its root. */
export function checkMaxPosition(
  contract: Contract,
  positionQty: number,
  side: Side,
  qty: number,
  maxPosition: number | ReadonlyMap<string, number> | undefined,
): RiskBlock | undefined {
  const cap = positionCap(contract.root, maxPosition);
  if (cap === undefined) return undefined;
  const after = positionQty + sideSign(side) * qty;
  if (Math.abs(after) <= cap) return undefined;
  return block(
    RiskReason.MaxPosition,
    `position ${positionQty} ${side} ${qty} would be ${after} in ${contractKey(contract)}, over maxPosition ${cap}`,
  );
}

/** Blocks a contract whose root and key (`MNQ`, `MNQZ25`) are both missing from the allowed set. */
export function checkAllowedInstrument(
  contract: Contract,
  allowed: ReadonlySet<string> | undefined,
): RiskBlock | undefined {
  if (allowed === undefined || allowed.has(contract.root)) return undefined;
  const key = contractKey(contract);
  if (allowed.has(key)) return undefined;
  return block(RiskReason.InstrumentNotAllowed, `${key} is not in allowedInstruments`);
}

/** Blocks an entry outside every trading window. */
export function checkTradingWindow(
  clock: LocalClock,
  windows: readonly CompiledWindow[] | undefined,
  tz: string,
): RiskBlock | undefined {
  if (windows === undefined || clockWithinWindows(clock, windows)) return undefined;
  return block(
    RiskReason.OutsideTradingWindow,
    `${hhmm(clock.minutes)} ${tz} is outside every trading window`,
  );
}

/** Blocks an entry from the flat-by time until the next session opens at 17:00. */
export function checkFlatBy(
  clock: LocalClock,
  flatByMinutes: number | undefined,
  tz: string,
): RiskBlock | undefined {
  if (flatByMinutes === undefined || !clockPastFlatBy(clock, flatByMinutes)) return undefined;
  return block(
    RiskReason.PastFlatBy,
    `${hhmm(clock.minutes)} ${tz} is past flatBy ${hhmm(flatByMinutes)} until the session opens at 17:00`,
  );
}

/** Orders among `timestamps` inside the rolling minute that ends at `now` (an order exactly 60 s old is out). */
export function ordersInLastMinute(now: number, timestamps: readonly number[]): number {
  let n = 0;
  for (let i = timestamps.length - 1; i >= 0; i--) {
    const ts = timestamps[i]!;
    if (ts <= now - ORDER_RATE_WINDOW_MS) break; // timestamps are recorded in time order
    if (ts <= now) n++;
  }
  return n;
}

/** Blocks an order when `maxOrdersPerMinute` orders already went in the last 60 s. */
export function checkOrderRate(
  now: number,
  timestamps: readonly number[],
  maxOrdersPerMinute: number | undefined,
): RiskBlock | undefined {
  if (maxOrdersPerMinute === undefined) return undefined;
  const sent = ordersInLastMinute(now, timestamps);
  if (sent < maxOrdersPerMinute) return undefined;
  return block(
    RiskReason.OrderRate,
    `${sent} orders in the last 60 s; maxOrdersPerMinute ${maxOrdersPerMinute} reached`,
  );
}

/** Blocks when the session P&L (realized + unrealized, mils) is at or below −limit. */
export function checkDailyLoss(sessionPnl: Money, dailyLossLimit: Money | undefined): RiskBlock | undefined {
  if (dailyLossLimit === undefined || sessionPnl > -dailyLossLimit) return undefined;
  return block(
    RiskReason.DailyLossLimit,
    `session P&L ${formatMoney(sessionPnl)} reached dailyLossLimit ${formatMoney(dailyLossLimit)}`,
  );
}

/** Blocks when equity is at or below high-water mark − amount. */
export function checkTrailingDrawdown(
  equity: Money,
  highWater: Money,
  amount: Money | undefined,
): RiskBlock | undefined {
  if (amount === undefined || equity > highWater - amount) return undefined;
  return block(
    RiskReason.TrailingDrawdown,
    `equity ${formatMoney(equity)} is at or below high-water ${formatMoney(highWater)} − trailingDrawdown ${formatMoney(amount)}`,
  );
}

/** Tenths of a contract one lot of `root` counts for: 1 for a micro when micros count a tenth, else 10. */
function tenthsPerLot(root: string, microsAsTenth: boolean, instruments: InstrumentRegistry): number {
  if (!microsAsTenth || !instruments.has(root)) return 10;
  return instruments.get(root).microOf === undefined ? 10 : 1;
}

/**
 * Blocks an order that would leave more than `maxContracts` open across all instruments.
 * Counted in tenths so a micro at 1/10 stays an integer.
 */
export function checkMaxContracts(
  positions: readonly NetPosition[],
  contract: Contract,
  side: Side,
  qty: number,
  maxContracts: number | undefined,
  microsAsTenth: boolean,
  instruments: InstrumentRegistry,
): RiskBlock | undefined {
  if (maxContracts === undefined) return undefined;
  const delta = sideSign(side) * qty;
  let tenths = 0;
  let seen = false;
  for (const p of positions) {
    let net = p.netQty;
    if (sameContract(p.contract, contract)) {
      net += delta;
      seen = true;
    }
    tenths += Math.abs(net) * tenthsPerLot(p.contract.root, microsAsTenth, instruments);
  }
  if (!seen) tenths += Math.abs(delta) * tenthsPerLot(contract.root, microsAsTenth, instruments);
  if (tenths <= maxContracts * 10) return undefined;
  return block(
    RiskReason.MaxContracts,
    `open contracts after order ${tenths / 10} exceed maxContracts ${maxContracts}`,
  );
}

/** The product family of a root: a micro belongs to its full-size product (MNQ → NQ). */
export function productFamily(root: string, instruments: InstrumentRegistry): string {
  return instruments.has(root) ? (instruments.get(root).microOf ?? root) : root;
}

/**
 * Blocks an entry when another account of the same firm holds the opposite direction in
 * the same product family; firms treat MNQ long against NQ short as hedging across accounts.
 */
export function checkOppositePosition(
  contract: Contract,
  side: Side,
  firmPositions: readonly FirmPosition[] | undefined,
  instruments: InstrumentRegistry,
): RiskBlock | undefined {
  if (firmPositions === undefined || firmPositions.length === 0) return undefined;
  const sign = sideSign(side);
  const family = productFamily(contract.root, instruments);
  for (const p of firmPositions) {
    if (p.netQty === 0 || Math.sign(p.netQty) === sign) continue;
    if (productFamily(p.contract.root, instruments) !== family) continue;
    const held = p.netQty > 0 ? 'long' : 'short';
    return block(
      RiskReason.OppositePosition,
      `account ${p.accountId} is ${held} ${Math.abs(p.netQty)} ${contractKey(p.contract)}; a ${side} of ${contractKey(contract)} would be opposite in family ${family}`,
    );
  }
  return undefined;
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
