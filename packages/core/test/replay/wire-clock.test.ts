import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { ReplayWireClock } from '../../src/replay/wire-clock.js';

const fired = (clock: ReplayWireClock, ms: number) =>
  new Promise<number>((resolve) => {
    clock.setTimer(ms, () => resolve(clock.now()));
  });

describe('ReplayWireClock', () => {
  it("reads the replay's time: it stands still between records and jumps with them", async () => {
    const session = new VirtualClock(1_000_000);
    const wire = new ReplayWireClock(session);
    expect(wire.now()).toBe(1_000_000);
    await session.advanceTo(1_060_000);
    expect(wire.now()).toBe(1_060_000);
  });

  it('runs timers on the wall clock, and a fired wait counts as time passed (never backwards)', async () => {
    const session = new VirtualClock(5_000);
    const wire = new ReplayWireClock(session);
    const started = performance.now();
    // The virtual clock does not move, yet the timer fires: a deadline still works.
    expect(await fired(wire, 30)).toBe(5_030);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(wire.now()).toBe(5_030);
    // The session moving on past it wins; the session moving less does not take time back.
    await session.advanceTo(5_010);
    expect(wire.now()).toBe(5_030);
    await session.advanceTo(6_000);
    expect(wire.now()).toBe(6_000);
  });

  it('frozen: its timers fire on the wall clock but leave the stamped time at the recorded one', async () => {
    const session = new VirtualClock(7_000);
    const stamps = new ReplayWireClock(session, { frozen: true });
    expect(await fired(stamps, 20)).toBe(7_000);
    expect(stamps.now()).toBe(7_000);
  });

  it('a cancelled timer never fires', async () => {
    const wire = new ReplayWireClock(new VirtualClock(0));
    let ran = false;
    wire
      .setTimer(10, () => {
        ran = true;
      })
      .cancel();
    await fired(wire, 40);
    expect(ran).toBe(false);
  });
});
