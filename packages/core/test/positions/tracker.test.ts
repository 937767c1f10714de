import { describe, expect, it } from 'vitest';
import {
  defaultInstruments,
  type Execution,
  PositionLedger,
  PositionTracker,
  parseContract,
} from '../../src/index.js';

const MNQ = parseContract('MNQZ25');
const ZN = parseContract('ZNZ25');
let n = 0;
const fill = (
  side: 'buy' | 'sell',
  qty: number,
  priceTicks: number,
  contract = MNQ,
  id = `f${n++}`,
): Execution => ({
  executionId: id,
  orderId: 'o',
  broker: 'paper',
  accountId: 'A',
  contract,
  side,
  qty,
  priceTicks,
  time: 0,
});

describe('the position ledger', () => {
  it('realizes P&L first in, first out, exactly', () => {
    const l = new PositionLedger(500);
    l.apply(2, 84000);
    l.apply(1, 84004);
    // Sell 2: closes the first lot (2 @ 84000) at 84010: 10 ticks × 2 × 0.50 USD.
    expect(l.apply(-2, 84010)).toBe(10_000);
    expect(l.netQty).toBe(1);
    expect(l.unrealizedAt(84010)).toBe(3000);
  });

  it('reverses through zero into a new lot at the fill price', () => {
    const l = new PositionLedger(500);
    l.apply(2, 84000);
    expect(l.apply(-3, 83990)).toBe(-10_000);
    expect(l.netQty).toBe(-1);
    expect(l.costTicks).toBe(83990);
  });
});

describe('the position tracker', () => {
  it('keeps average price and P&L per account and contract, ZN to the 1/64', () => {
    const t = new PositionTracker(defaultInstruments);
    t.applyExecution(fill('buy', 1, 7040, ZN));
    t.applyExecution(fill('buy', 1, 7041, ZN));
    t.mark(ZN, { last: 7043 });
    const p = t.position('A', ZN);
    expect(p.netQty).toBe(2);
    expect(p.avgPrice).toBe('110.0078125');
    // (7043×2 − 14081) ticks × 15.625 USD = 5 ticks = 78.125 USD.
    expect(p.unrealizedPnl).toBe(78_125);
  });

  it('applies a fill id once, whatever a reconnect resends', () => {
    const t = new PositionTracker(defaultInstruments);
    const f = fill('buy', 1, 84000);
    expect(t.applyExecution(f)).toBeDefined();
    expect(t.applyExecution({ ...f })).toBeUndefined();
    expect(t.netQty('A', MNQ)).toBe(1);
  });

  it('marks longs at the bid and shorts at the ask when there is no trade', () => {
    const t = new PositionTracker(defaultInstruments);
    t.applyExecution(fill('buy', 1, 84000), 'long');
    t.applyExecution(fill('sell', 1, 84000), 'short');
    t.mark(MNQ, { bid: 84002, ask: 84003 });
    expect(t.pnl('long').unrealized).toBe(1000);
    expect(t.pnl('short').unrealized).toBe(-1500);
  });
});

describe('the tracker remembering fill ids', () => {
  const DAY = 86_400_000;
  const at = (id: string, time: number): Execution => ({ ...fill('buy', 1, 84000, MNQ, id), time });

  it('ignores a resend within the window and one from before what it still remembers', () => {
    const t = new PositionTracker(defaultInstruments);
    expect(t.applyExecution(at('a', 0))).toBeDefined();
    expect(t.applyExecution(at('a', 0))).toBeUndefined();
    // Three days on: the generation holding "a" is still kept (two windows of two days).
    expect(t.applyExecution(at('b', 3 * DAY))).toBeDefined();
    expect(t.applyExecution(at('a', 0))).toBeUndefined();
    // Five days on: "a"'s generation is forgotten, and a fill stamped before it counts as seen, not new.
    expect(t.applyExecution(at('c', 5 * DAY))).toBeDefined();
    expect(t.applyExecution(at('a', 0))).toBeUndefined();
    expect(t.applyExecution(at('b', 3 * DAY))).toBeUndefined();
    expect(t.netQty('A', MNQ)).toBe(3);
  });
});
