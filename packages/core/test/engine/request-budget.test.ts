import { describe, expect, it } from 'vitest';
import { RequestScheduler } from '../../src/engine/index.js';
import { VirtualClock } from '../../src/index.js';

describe('the request budget', () => {
  it('starts at most `requests` per window and queues the rest', async () => {
    const clock = new VirtualClock(0);
    const budget = new RequestScheduler({ requests: 2, perMs: 1000 }, clock);
    const started: [string, number][] = [];
    const call = (name: string) => () => {
      started.push([name, clock.now()]);
      return Promise.resolve(name);
    };
    const results = ['a', 'b', 'c', 'd', 'e'].map((n) => budget.schedule('entry', call(n)));
    expect(started.map(([n]) => n)).toEqual(['a', 'b']);
    expect(budget.waiting).toBe(3);
    await clock.runUntilIdle();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(started).toEqual([
      ['a', 0],
      ['b', 0],
      ['c', 1000],
      ['d', 1000],
      ['e', 2000],
    ]);
  });

  it('sends cancels, then exits, before entries that waited longer', async () => {
    const clock = new VirtualClock(0);
    const budget = new RequestScheduler({ requests: 1, perMs: 100 }, clock);
    const order: string[] = [];
    const call = (name: string) => () => {
      order.push(name);
      return Promise.resolve();
    };
    const all = [
      budget.schedule('entry', call('entry-1')),
      budget.schedule('entry', call('entry-2')),
      budget.schedule('exit', call('exit-1')),
      budget.schedule('entry', call('entry-3')),
      budget.schedule('cancel', call('cancel-1')),
      budget.schedule('exit', call('exit-2')),
    ];
    await clock.runUntilIdle();
    await Promise.all(all);
    expect(order).toEqual(['entry-1', 'cancel-1', 'exit-1', 'exit-2', 'entry-2', 'entry-3']);
  });
});
