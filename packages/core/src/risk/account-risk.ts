/** The risk state one follower account carries between orders: rate, lock-out, session, high-water. */
import type { Money } from '../money/money.js';
import { ORDER_RATE_WINDOW_MS } from './checks.js';
import type { RiskReason } from './reasons.js';
import type { CompiledRiskRules, TrailingMode } from './rules.js';
import { nextSessionStart, sessionDate } from './session.js';

/** Timestamps kept for the rate rule beyond age pruning; no firm allows anywhere near this many orders a minute. */
const MAX_RECENT_ORDERS = 4096;

/** Mutable risk state of one follower; every method takes the time, so replays on a virtual clock behave alike. */
export class AccountRiskState {
  /** Set by the engine while an auto-flatten is in flight, so a second trigger does not start another. */
  flattening = false;
  readonly #startingBalance: Money;
  readonly #recent: number[] = [];
  #lockedUntil = Number.NEGATIVE_INFINITY;
  #lockReason: RiskReason | undefined;
  #session: string | undefined;
  /** Epoch ms of the next 17:00 boundary: until then the session cannot change, so onTime is O(1). */
  #boundary = Number.NEGATIVE_INFINITY;
  #lastTime = Number.NEGATIVE_INFINITY;
  #highWater: Money;
  #trailingMode: TrailingMode = 'intraday';
  #lastEquity: Money;
  /** Cumulative realized + unrealized P&L last seen, and its value when the session began. */
  #lastTotal: Money = 0;
  #sessionBase: Money = 0;

  /** `startingBalance` (mils) is the first trailing-drawdown high-water mark and the equity before any P&L. */
  constructor(startingBalance: Money) {
    this.#startingBalance = startingBalance;
    this.#highWater = startingBalance;
    this.#lastEquity = startingBalance;
  }

  /** Notes an order sent at `t` for the order-rate rule. */
  recordOrder(t: number): void {
    const recent = this.#recent;
    while (
      recent.length > 0 &&
      (recent[0]! <= t - ORDER_RATE_WINDOW_MS || recent.length >= MAX_RECENT_ORDERS)
    ) {
      recent.shift();
    }
    recent.push(t);
  }

  /** Order timestamps of (at most) the last minute, oldest first. */
  get recentOrders(): readonly number[] {
    return this.#recent;
  }

  /** Blocks entries until `until` (ms); a later lock-out never shortens an earlier, longer one. */
  lockOut(until: number, reason: RiskReason): void {
    if (until > this.#lockedUntil) {
      this.#lockedUntil = until;
      this.#lockReason = reason;
    }
  }

  /** True while a lock-out is in force at `t`. */
  isLockedOut(t: number): boolean {
    return t < this.#lockedUntil;
  }

  /** Why the account is (or was last) locked out. */
  get lockOutReason(): RiskReason | undefined {
    return this.#lockReason;
  }

  /** End of the current lock-out (ms); −Infinity when none was set. */
  get lockedUntil(): number {
    return this.#lockedUntil;
  }

  /** The trading day (`YYYY-MM-DD`) last seen by `onTime`. */
  get session(): string | undefined {
    return this.#session;
  }

  /** The trailing-drawdown high-water mark (mils). */
  get highWater(): Money {
    return this.#highWater;
  }

  /**
   * Moves the state to time `t`: at a new trading day the session P&L restarts from the
   * last P&L seen, an end-of-day high-water mark takes the last equity of the old day,
   * and an expired lock-out is cleared.
   */
  onTime(t: number, tz: string): void {
    if (t < this.#lastTime || t >= this.#boundary) {
      const date = sessionDate(t, tz);
      if (this.#session !== undefined && date !== this.#session) this.#rollover();
      this.#session = date;
      this.#boundary = nextSessionStart(t, tz);
    }
    this.#lastTime = t;
    if (this.#lockReason !== undefined && t >= this.#lockedUntil) {
      this.#lockReason = undefined;
      this.#lockedUntil = Number.NEGATIVE_INFINITY;
    }
  }

  #rollover(): void {
    this.#sessionBase = this.#lastTotal;
    if (this.#trailingMode === 'end-of-day') this.#highWater = Math.max(this.#highWater, this.#lastEquity);
  }

  /**
   * Feeds an equity update (mils, startingBalance + realized + unrealized). 'intraday' raises
   * the high-water mark now; 'end-of-day' only remembers it for the next rollover. Given the
   * compiled rules, it first rolls the session in the rules' time zone.
   */
  onEquity(t: number, equity: Money, modeOrRules: TrailingMode | CompiledRiskRules): void {
    let mode: TrailingMode;
    if (typeof modeOrRules === 'string') mode = modeOrRules;
    else {
      this.onTime(t, modeOrRules.timezone);
      mode = modeOrRules.trailingDrawdown?.mode ?? 'intraday';
    }
    this.#trailingMode = mode;
    this.#lastEquity = equity;
    this.#lastTotal = equity - this.#startingBalance;
    if (mode === 'intraday' && equity > this.#highWater) this.#highWater = equity;
  }

  /**
   * The P&L of the current session from the account's cumulative realized and unrealized P&L
   * (mils); remembers them so the next rollover starts the new session from here.
   */
  sessionPnl(realized: Money, unrealized: Money): Money {
    this.#lastTotal = realized + unrealized;
    return this.#lastTotal - this.#sessionBase;
  }
}
