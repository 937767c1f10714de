import { describe, expect, it } from 'vitest';
import { CopyBook } from '../../src/engine/copy-book.js';
import type { OrderCopy } from '../../src/engine/follower.js';

function copy(leaderOrderId: string, source: string, resting: boolean): OrderCopy {
  return {
    leaderOrderId,
    source,
    contract: { root: 'MNQ', month: 'Z', year: 2025 },
    legs: { entry: undefined, close: undefined, open: undefined },
    planned: 0,
    leaderQty: 1,
    leaderFilled: 0,
    booked: 0,
    leaderDone: false,
    legFilled: { entry: 0, close: 0, open: 0 },
    filledDelta: 0,
    resting,
  };
}

const ids = (book: CopyBook<OrderCopy>, source: string) =>
  [...book.resting(source)].map((c) => c.leaderOrderId);

describe('CopyBook: the copies of resting leader orders, per leader contract', () => {
  it('lists only resting copies of the contract, in the order the main map holds them', () => {
    const book = new CopyBook<OrderCopy>();
    book.set('L1', copy('L1', 'MNQZ25', true));
    book.set('M1', copy('M1', 'MNQZ25', false));
    book.set('L2', copy('L2', 'NQZ25', true));
    book.set('L3', copy('L3', 'MNQZ25', true));
    expect(ids(book, 'MNQZ25')).toEqual(['L1', 'L3']);
    expect(ids(book, 'NQZ25')).toEqual(['L2']);
    expect(ids(book, 'ESZ25')).toEqual([]);
    expect([...book.keys()]).toEqual(['L1', 'M1', 'L2', 'L3']);
  });

  it('follows deletes, clears and a copy replaced under the same leader order id', () => {
    const book = new CopyBook<OrderCopy>();
    book.set('L1', copy('L1', 'MNQZ25', true));
    book.set('L2', copy('L2', 'MNQZ25', true));
    book.set('L3', copy('L3', 'MNQZ25', true));
    expect(book.delete('L2')).toBe(true);
    expect(book.delete('L2')).toBe(false);
    expect(ids(book, 'MNQZ25')).toEqual(['L1', 'L3']);
    // A replacement keeps its key's place, in the main map and in the index.
    const again = copy('L1', 'MNQZ25', true);
    book.set('L1', again);
    expect([...book.resting('MNQZ25')][0]).toBe(again);
    expect(ids(book, 'MNQZ25')).toEqual(['L1', 'L3']);
    // Replaced by a copy that is not resting: out of the index.
    book.set('L3', copy('L3', 'MNQZ25', false));
    expect(ids(book, 'MNQZ25')).toEqual(['L1']);
    book.clear();
    expect(ids(book, 'MNQZ25')).toEqual([]);
    expect(book.size).toBe(0);
  });

  it('moves a copy replaced with another leader contract, keeping the main map order there', () => {
    const book = new CopyBook<OrderCopy>();
    book.set('L1', copy('L1', 'MNQZ25', true));
    book.set('L2', copy('L2', 'NQZ25', true));
    book.set('L1', copy('L1', 'NQZ25', true));
    expect(ids(book, 'MNQZ25')).toEqual([]);
    // L1 stays first in the main map, so it comes first among NQ's copies too.
    expect(ids(book, 'NQZ25')).toEqual(['L1', 'L2']);
  });
});
