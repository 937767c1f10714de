import { startSierraChartSimulator } from '@tradenova/adapter-others/sierrachart/simulator';
import { parseEngineConfig } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/chaos/hosted.js';
import { runLive } from '../../src/run/live.js';
import { openSession } from '../../src/run/session.js';
import { captureIo } from '../capture-io.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
});

/** A paper leader and one Sierra Chart follower whose DTC server is at `port`. */
function configAt(port: number) {
  return parseEngineConfig({
    leader: { broker: 'paper', account: 'L1' },
    connections: { sc: { broker: 'sierrachart', options: { host: '127.0.0.1', port } } },
    followers: [{ name: 'sc-1', broker: 'sierrachart', connection: 'sc', account: 'Sim1' }],
  });
}

function stopper() {
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  return { stop, stopped };
}

describe('a run whose broker cannot be reached at start', () => {
  it('keeps trying, and starts once the broker answers', async () => {
    const port = await freePort();
    const session = await openSession(configAt(port));
    cleanup.push(() => session.close());
    const { stop, stopped } = stopper();
    const { io, stdout } = captureIo();
    const running = runLive(session, io, { json: true, stop: stopped });
    // The first attempt is refused: the run waits instead of ending.
    await waitFor(() => /"connection":"sc","state":"disconnected"/.test(stdout()), {
      message: 'a refused first attempt',
      timeout: 5_000,
    });
    const sim = await startSierraChartSimulator({ port });
    cleanup.push(() => sim.close());
    await waitFor(() => stdout().includes('"connection":"sc","state":"connected"'), {
      message: 'sc connected',
      timeout: 15_000,
    });
    expect(session.engine.openConnections()).toContain('sc');
    stop();
    expect(await running).toBe(0);
    expect(stdout()).toContain('"type":"session-stopped"');
  });

  it('ends at once, with exit 0 and nothing copied, when told to stop while it waits', async () => {
    const port = await freePort();
    const session = await openSession(configAt(port));
    cleanup.push(() => session.close());
    const { stop, stopped } = stopper();
    const { io, stdout, stderr } = captureIo();
    const running = runLive(session, io, { json: true, stop: stopped });
    await waitFor(() => /"connection":"sc","state":"disconnected"/.test(stdout()), {
      message: 'a refused first attempt',
      timeout: 5_000,
    });
    stop();
    expect(await running).toBe(0);
    expect(stderr()).toContain('stopped while opening the broker connections; nothing was copied');
    expect(stdout()).not.toContain('"type":"session-stopped"');
    expect(session.engine.openConnections()).toEqual([]);
  });
});
