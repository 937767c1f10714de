import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedExchange, systemClock } from '@tradenova/core';
import { type RunningSimulator, startSimulator } from '../brokers/simulators.js';

/**
 * One broker's simulator, run by `chaos` outside the copier so it outlives every kill of
 * the copier. Its exchange (accounts, orders, positions) is kept across `restart`, as a
 * real broker keeps them across a dropped connection or its own restart; only the
 * protocol front end and every socket on it go away.
 */
export class HostedSimulator {
  readonly broker: string;
  readonly accounts: readonly string[];
  readonly exchange: SimulatedExchange;
  #sim: RunningSimulator;
  readonly #port: number;
  readonly #dir: string | undefined;
  #down = false;

  private constructor(
    broker: string,
    accounts: readonly string[],
    sim: RunningSimulator,
    port: number,
    dir: string | undefined,
  ) {
    this.broker = broker;
    this.accounts = accounts;
    this.exchange = sim.exchange;
    this.#sim = sim;
    this.#port = port;
    this.#dir = dir;
  }

  static async start(broker: string, accounts: readonly string[]): Promise<HostedSimulator> {
    const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: `${broker}-` });
    const port = await freePort();
    // A folder-based simulator keeps its folder across restarts, as NinjaTrader keeps its own.
    const dir = broker === 'ninjatrader' ? await mkdtemp(join(tmpdir(), 'tn-chaos-nt-')) : undefined;
    const sim = await startSimulator(broker, {
      port,
      accounts: [...accounts],
      exchange,
      ...(dir ? { dir } : {}),
    });
    return new HostedSimulator(broker, accounts, sim, port, dir);
  }

  /** Adapter options that point a connection serving `accounts` at this simulator. */
  adapterOptions(accounts: readonly string[]): Record<string, unknown> {
    return this.#sim.adapterOptions(accounts);
  }

  get down(): boolean {
    return this.#down;
  }

  /** Stops the protocol front end (every socket drops); the exchange keeps its state. */
  async stop(): Promise<void> {
    if (this.#down) return;
    this.#down = true;
    await this.#sim.close();
  }

  /** Starts the front end again on the same port, in front of the same exchange. */
  async resume(): Promise<void> {
    if (!this.#down) return;
    this.#sim = await startSimulator(this.broker, {
      port: this.#port,
      accounts: [...this.accounts],
      exchange: this.exchange,
      ...(this.#dir ? { dir: this.#dir } : {}),
    });
    this.#down = false;
  }

  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}

/** A TCP port free on loopback now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
