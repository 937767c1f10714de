import { startSierraChartSimulator } from '@tradenova/adapter-others/sierrachart/simulator';
import { parseEngineConfig } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/chaos/hosted.js';
import { CliError } from '../../src/errors.js';
import { runLive } from '../../src/run/live.js';
import { openSession } from '../../src/run/session.js';
import { captureIo } from '../capture-io.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
});

/** A paper leader and one Sierra Chart follower whose DTC server is at `port`. */
function configAt(port: number, login: Record<string, string> = {}) {
  return parseEngineConfig({
    leader: { broker: 'paper', account: 'L1' },
    connections: { sc: { broker: 'sierrachart', options: { host: '127.0.0.1', port, ...login } } },
    followers: [
      { name: 'sc-1', broker: 'sierrachart', connection: 'sc', account: 'Sim1' },
      { name: 'sc-2', broker: 'sierrachart', connection: 'sc', account: 'Sim2' },
      { name: 'p-1', broker: 'paper', account: 'P1' },
    ],
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

  it('a connection it cannot open ends the start with a message that names it, whom it serves and what to do', async () => {
    const sim = await startSierraChartSimulator({
      users: { trader: 'right-password' },
      accounts: ['Sim1', 'Sim2'],
    });
    cleanup.push(() => sim.close());
    const secret = 'wrong-password-4f9c1e';
    const session = await openSession(configAt(sim.port, { username: 'trader', password: secret }));
    cleanup.push(() => session.close());
    const { io } = captureIo();
    // A refused login is not tried again: the start fails at once.
    const error = (await runLive(session, io, {
      json: true,
      secrets: [secret],
      stop: new Promise(() => {}),
    }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    const [first, ...rest] = error.message.split('\n');
    expect(first).toMatch(/^could not open a broker connection: TN_ERR_\w+: /);
    expect(rest).toEqual([
      '  connection sc (sierrachart), for followers sc-1, sc-2',
      'Nothing was copied. Check connections.sc (where the broker listens, the login), or set `enabled: false` on the followers it serves to run without them.',
    ]);
    expect(error.message).not.toContain(secret);
  });
});
