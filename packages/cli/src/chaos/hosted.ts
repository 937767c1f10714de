import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedExchange, systemClock } from '@tradenova/core';
import { type RunningSimulator, startSimulator } from '../brokers/simulators.js';

/** What `chaos` needs of a running simulator: its adapter options, how to cut its sockets, how to stop it. */
interface Front {
  adapterOptions(accounts: readonly string[]): Record<string, unknown>;
  /** Cuts every client socket at once, the server staying up; absent where the simulator cannot. */
  dropConnections?: () => void;
  close(): Promise<void>;
}

/**
 * Brokers whose simulator keeps all it tells clients (order ids, client order ids, fill and
 * position ids) in or beside the exchange (Tradovate's and ProjectX's in the exchange's
 * `backEnd`, FIX's gateway records beside it), so a restart of its front end looks like a
 * real broker's restart.
 */
export const RESTARTABLE = new Set(['sierrachart', 'tradovate', 'projectx', 'fix']);

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
  #sim: Front;
  readonly #port: number;
  readonly #dir: string | undefined;
  #down = false;

  private constructor(
    broker: string,
    accounts: readonly string[],
    sim: Front,
    exchange: SimulatedExchange,
    port: number,
    dir: string | undefined,
  ) {
    this.broker = broker;
    this.accounts = accounts;
    this.exchange = exchange;
    this.#sim = sim;
    this.#port = port;
    this.#dir = dir;
  }

  static async start(broker: string, accounts: readonly string[]): Promise<HostedSimulator> {
    const exchange = new SimulatedExchange({ clock: systemClock, idPrefix: `${broker}-` });
    const port = await freePort();
    // A folder-based simulator keeps its folder across restarts, as NinjaTrader keeps its own.
    const dir = broker === 'ninjatrader' ? await mkdtemp(join(tmpdir(), 'tn-chaos-nt-')) : undefined;
    const sim = await startFront(broker, port, accounts, exchange, dir);
    return new HostedSimulator(broker, accounts, sim, exchange, port, dir);
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
    this.#sim = await startFront(this.broker, this.#port, this.accounts, this.exchange, this.#dir);
    this.#down = false;
  }

  /** Whether `dropConnections` can cut this simulator's sockets with the server staying up. */
  get canDrop(): boolean {
    return this.#sim.dropConnections !== undefined;
  }

  dropConnections(): void {
    if (!this.#down) this.#sim.dropConnections?.();
  }

  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}

/** Starts a simulator's front end on `port` in front of `exchange`; with its socket-cutting fault where it has one. */
async function startFront(
  broker: string,
  port: number,
  accounts: readonly string[],
  exchange: SimulatedExchange,
  dir: string | undefined,
): Promise<Front> {
  if (broker === 'tradovate') {
    const { startTradovateSimulator } = await import('@tradenova/adapter-tradovate/simulator');
    const sim = await startTradovateSimulator({
      port,
      exchange,
      accounts: accounts.map((name, i) => ({ id: 900_001 + i, name })),
    });
    return {
      adapterOptions: (list) => ({
        baseUrl: sim.url,
        wsUrl: sim.wsUrl,
        username: 'simulator',
        password: 'simulator',
        accounts: [...list],
      }),
      dropConnections: () => sim.faults.dropConnections(),
      close: () => sim.close(),
    };
  }
  if (broker === 'sierrachart') {
    const { startSierraChartSimulator } = await import('@tradenova/adapter-others/sierrachart/simulator');
    const sim = await startSierraChartSimulator({ port, exchange, accounts: [...accounts] });
    return {
      adapterOptions: (list) => ({ host: sim.host, port: sim.port, accounts: [...list] }),
      dropConnections: () => sim.faults.dropConnections(),
      close: () => sim.close(),
    };
  }
  const sim: RunningSimulator = await startSimulator(broker, {
    port,
    accounts: [...accounts],
    exchange,
    ...(dir ? { dir } : {}),
  });
  return {
    adapterOptions: (list) => sim.adapterOptions(list),
    ...(sim.dropConnections ? { dropConnections: sim.dropConnections } : {}),
    close: () => sim.close(),
  };
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
