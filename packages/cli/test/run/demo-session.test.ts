import { type EngineEvent, parseEngineConfig } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { describe, expect, it } from 'vitest';
import { demoBrokers } from '../../src/brokers/simulators.js';
import { demoCommand } from '../../src/commands/demo.js';
import { demoConfig } from '../../src/run/demo-config.js';
import { runLive } from '../../src/run/live.js';
import { openSession } from '../../src/run/session.js';
import { captureIo } from '../capture-io.js';

describe('the demo, end to end on the simulators', () => {
  it('copies to followers on every broker within 5 s, respects pause, flattens, and accounts for every order', async () => {
    const brokers = ['paper', ...demoBrokers()];
    const config = parseEngineConfig(demoConfig(demoBrokers()));
    const session = await openSession(config);
    const events: EngineEvent[] = [];
    session.engine.on((e) => events.push(e));
    const byName = new Map(config.followers.map((f) => [f.name, f]));
    // One paper follower paused from the start: every entry it would copy must be blocked, never sent.
    const paused = config.followers.find((f) => f.broker === 'paper')!.name;
    session.engine.pause(paused);
    let stop = () => {};
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    const { io, stdout } = captureIo();
    const running = runLive(session, io, { json: true, stop: stopped });
    const filledOn = () =>
      new Set(events.flatMap((e) => (e.type === 'order-filled' ? [byName.get(e.follower)!.broker] : [])));
    await waitFor(() => brokers.every((b) => filledOn().has(b)), {
      message: `a copied fill on ${brokers.join(', ')}`,
      timeout: 5000,
    });

    // Flatten one follower on a simulated broker (over its socket) and one on paper.
    const targets = brokers.map(
      (b) =>
        config.followers.find((f) => f.broker === b && f.name !== paused && !f.name.includes('capped'))!.name,
    );
    for (const t of targets) expect(session.engine.positions(t).some((p) => p.netQty !== 0)).toBe(true);
    await Promise.all(targets.map((t) => session.flatten(t)));
    await waitFor(() => targets.every((t) => session.engine.positions(t).every((p) => p.netQty === 0)), {
      message: 'flat positions',
      timeout: 3000,
    });
    stop();
    expect(await running).toBe(0);

    const lines = stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    // Every line is an engine event, leader activity, or the closing summary.
    expect(lines.filter((l) => l.type === 'order-filled').length).toBeGreaterThan(0);
    const summary = lines.at(-1)!;
    expect(summary.type).toBe('session-stopped');
    expect(summary.unaccounted).toEqual([]);
    expect((summary.intents as number) > 0).toBe(true);

    expect(events.some((e) => e.type === 'order-filled' && e.follower === paused)).toBe(false);
    expect(
      events.some(
        (e) => e.type === 'order-blocked' && e.intent.follower === paused && e.reason === 'FOLLOWER_PAUSED',
      ),
    ).toBe(true);
    // After shutdown the simulators are closed and every connection is down.
    for (const c of Object.values(session.connections)) expect(c.health().state).toBe('disconnected');
  });

  it('demo --print-config prints a config that names every simulated broker', async () => {
    const { io, stdout } = captureIo();
    expect(await demoCommand({ printConfig: true }, io)).toBe(0);
    for (const b of demoBrokers()) expect(stdout()).toContain(`broker: ${b}`);
    expect(stdout()).toContain('script: demo');
  });
});
