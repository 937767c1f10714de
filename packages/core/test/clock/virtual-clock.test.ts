import { describe, expect, it } from 'vitest';
import { sleep, VirtualClock } from '../../src/index.js';

describe('the virtual clock', () => {
  it('runs timers in time order, ties in the order set, and only when advanced', async () => {
    const clock = new VirtualClock(1000);
    const seen: string[] = [];
    clock.setTimer(50, () => seen.push(`b@${clock.now()}`));
    clock.setTimer(10, () => seen.push(`a@${clock.now()}`));
    clock.setTimer(50, () => seen.push(`c@${clock.now()}`));
    expect(seen).toEqual([]);
    await clock.advanceTo(1040);
    expect(seen).toEqual(['a@1010']);
    expect(clock.now()).toBe(1040);
    await clock.runUntilIdle();
    expect(seen).toEqual(['a@1010', 'b@1050', 'c@1050']);
  });

  it('drains promise chains a timer starts before the next timer runs', async () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    void (async () => {
      await sleep(clock, 10);
      await Promise.resolve();
      seen.push('first');
    })();
    clock.setTimer(10, () => seen.push('second'));
    await clock.runUntilIdle();
    expect(seen).toEqual(['first', 'second']);
  });

  it('forgets cancelled timers', async () => {
    const clock = new VirtualClock(0);
    let fired = false;
    clock
      .setTimer(5, () => {
        fired = true;
      })
      .cancel();
    await clock.runUntilIdle();
    expect(fired).toBe(false);
    expect(clock.pending).toBe(0);
  });
});
