import { describe, expect, it } from 'vitest';
import { FollowerRuntime } from '../../src/engine/follower.js';
import { ENDED_LEADER_ORDERS_KEPT, LeaderBook, type LeaderOrder } from '../../src/engine/leader-book.js';
import type { OrderIntent } from '../../src/model/intent.js';

const MNQ = { root: 'MNQ', month: 'Z', year: 2025 } as const;

function leaderOrder(id: string, done: boolean): LeaderOrder {
  return {
    id,
    contract: MNQ,
    side: 'buy',
    qty: 1,
    filled: done ? 1 : 0,
    orderType: 'market',
    signal: {
      action: 'new',
      signalId: `s-${id}`,
      leaderOrderId: id,
      leaderAccount: 'LEAD',
      instrument: 'MNQZ5',
      side: 'buy',
      qty: 1,
      orderType: 'market',
      detectedAt: 0,
      receivedAt: 0,
    },
    done,
  };
}

describe('LeaderBook.forgetEnded: a long session keeps a bounded number of ended leader orders', () => {
  it('forgets the oldest ended orders past the bound, never a working, busy or still-copied one', () => {
    const book = new LeaderBook();
    book.orders.set('working', leaderOrder('working', false));
    book.orders.set('busy', { ...leaderOrder('busy', true), busy: 1 });
    book.orders.set('copied', leaderOrder('copied', true));
    const total = ENDED_LEADER_ORDERS_KEPT + 2_000;
    for (let i = 0; i < total; i++) book.orders.set(`L${i}`, leaderOrder(`L${i}`, true));
    const forgotten = book.forgetEnded((o) => o.id !== 'copied');
    expect(book.orders.size).toBe(ENDED_LEADER_ORDERS_KEPT);
    for (const id of ['working', 'busy', 'copied']) expect(book.orders.has(id)).toBe(true);
    // The oldest go first; the newest stay.
    expect(forgotten[0]).toBe('L0');
    expect(book.orders.has('L0')).toBe(false);
    expect(book.orders.has(`L${total - 1}`)).toBe(true);
    expect(forgotten.length + book.orders.size).toBe(total + 3);
  });

  it('does nothing below the bound (the walk is paid once per batch)', () => {
    const book = new LeaderBook();
    for (let i = 0; i < ENDED_LEADER_ORDERS_KEPT + 10; i++)
      book.orders.set(`L${i}`, leaderOrder(`L${i}`, true));
    expect(book.forgetEnded(() => true)).toEqual([]);
    expect(book.orders.size).toBe(ENDED_LEADER_ORDERS_KEPT + 10);
  });
});

/** A follower runtime with nothing behind it: what these tests ask of it is its own state. */
const runtime = () =>
  new FollowerRuntime(
    { name: 'f', account: 'A' } as never,
    'paper',
    {} as never,
    {} as never,
    {} as never,
    {} as never,
    0,
  );

describe('FollowerRuntime.noteFilled: fill ids are kept only while something can ask about them', () => {
  it('keeps the ids of orders being placed, of leader order references and of unknown outcomes', () => {
    const f = runtime();
    f.placing.add('placing');
    f.orders.set('L1', { intentId: 'ref', contract: MNQ, side: 'buy', orderType: 'market' });
    f.unknown.set('unknown', { intent: {} as OrderIntent });
    for (const id of ['placing', 'ref', 'unknown']) f.noteFilled(id);
    for (let i = 0; i < 9_000; i++) f.noteFilled(`old-${i}`);
    expect(f.filledIntents.size).toBeLessThan(6_000);
    for (const id of ['placing', 'ref', 'unknown']) expect(f.filledIntents.has(id)).toBe(true);
    expect(f.filledIntents.has('old-0')).toBe(false);
    // The latest fills are still there until the next sweep.
    expect(f.filledIntents.has('old-8999')).toBe(true);
  });
});

describe('FollowerRuntime sources: intent ids and broker order ids share one two-generation window', () => {
  it('keeps the two kinds of id apart (an order id equal to an intent id names another order)', () => {
    const f = runtime();
    f.rememberSource('X1', 'MNQZ25');
    f.rememberOrderSource('X1', 'MESZ25');
    expect(f.sourceOf('X1')).toBe('MNQZ25');
    expect(f.orderSourceOf('X1')).toBe('MESZ25');
    expect(f.orderSourceOf('X2')).toBeUndefined();
  });

  it('forgets both kinds together once 10,000 more of either have been remembered', () => {
    const f = runtime();
    f.rememberSource('intent-0', 'MNQZ25');
    f.rememberOrderSource('order-0', 'MNQZ25');
    // 10,001 ids in all: the first generation (both kinds) becomes the older one, still asked.
    for (let i = 1; i < 5_000; i++) f.rememberSource(`intent-${i}`, 'MNQZ25');
    for (let i = 1; i < 5_000; i++) f.rememberOrderSource(`order-${i}`, 'MNQZ25');
    f.rememberOrderSource('order-5000', 'MNQZ25');
    f.rememberSource('intent-5000', 'MNQZ25');
    expect(f.sourceOf('intent-0')).toBe('MNQZ25');
    expect(f.orderSourceOf('order-0')).toBe('MNQZ25');
    // 10,001 more: the first generation is gone, the second stays.
    for (let i = 0; i < 10_001; i++) f.rememberOrderSource(`later-${i}`, 'MESZ25');
    expect(f.sourceOf('intent-0')).toBeUndefined();
    expect(f.orderSourceOf('order-0')).toBeUndefined();
    expect(f.sourceOf('intent-5000')).toBe('MNQZ25');
    expect(f.orderSourceOf('later-0')).toBe('MESZ25');
  });
});
