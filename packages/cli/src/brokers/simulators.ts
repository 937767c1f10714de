import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BrokerConnection,
  type Clock,
  defaultInstruments,
  SimulatedExchange,
  silentLogger,
  systemClock,
} from '@tradenova/core';
import type { ConnectionPlan } from '@tradenova/core/engine';
import { closest } from '../did-you-mean.js';
import { CliError } from '../errors.js';
import { resolvePlugin } from './plugins.js';

/** A broker simulator running on loopback, and how to connect an adapter to it. */
export interface RunningSimulator {
  broker: string;
  /** Where it listens, for people: URLs or a folder. */
  endpoints: Record<string, string>;
  /** The accounts it opened. */
  accounts: string[];
  exchange: SimulatedExchange;
  /** Adapter options that point the broker's adapter at this simulator. */
  adapterOptions(accounts: readonly string[]): Record<string, unknown>;
  /** Cuts every client socket at once, the server staying up; absent where the simulator cannot. */
  dropConnections?: () => void;
  close(): Promise<void>;
}

export interface SimulatorOptions {
  port?: number;
  /** For folder-based simulators (NinjaTrader): the folder to watch; a temporary one otherwise. */
  dir?: string;
  /** Account names to open (the simulator's demo accounts otherwise). */
  accounts?: readonly string[];
  exchange?: SimulatedExchange;
  /** The simulator's own clock (token expiry, request limits, wire timestamps); the wall clock otherwise. */
  clock?: Clock;
}

type Starter = (options: SimulatorOptions) => Promise<RunningSimulator>;

/** The simulators by broker name; each loads its package only when started. */
const STARTERS: Record<string, Starter> = {
  async tradovate(options) {
    const { startTradovateSimulator } = await import('@tradenova/adapter-tradovate/simulator');
    const sim = await startTradovateSimulator({
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.exchange ? { exchange: options.exchange } : {}),
      ...(options.accounts
        ? { accounts: options.accounts.map((name, i) => ({ id: 900_001 + i, name })) }
        : {}),
    });
    return {
      broker: 'tradovate',
      endpoints: { rest: sim.url, websocket: sim.wsUrl },
      accounts: sim.accounts.map((a) => a.name),
      exchange: sim.exchange,
      adapterOptions: (accounts) => ({
        baseUrl: sim.url,
        wsUrl: sim.wsUrl,
        username: 'simulator',
        password: 'simulator',
        accounts: [...accounts],
      }),
      close: () => sim.close(),
    };
  },
  async projectx(options) {
    const { startProjectXSimulator } = await import('@tradenova/adapter-projectx/simulator');
    const sim = await startProjectXSimulator({
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.exchange ? { exchange: options.exchange } : {}),
      ...(options.accounts
        ? { accounts: options.accounts.map((name, i) => ({ id: 900_001 + i, name })) }
        : {}),
    });
    return {
      broker: 'projectx',
      endpoints: { rest: `${sim.url}/api`, hub: sim.hubUrl },
      accounts: sim.accounts.map((a) => a.name),
      exchange: sim.exchange,
      adapterOptions: (accounts) => ({
        baseUrl: sim.url,
        hubUrl: sim.hubUrl,
        userName: 'simulator',
        apiKey: 'simulator',
        accounts: [...accounts],
      }),
      dropConnections: () => sim.faults.dropConnections(),
      close: () => sim.close(),
    };
  },
  async rithmic(options) {
    const { startRithmicSimulator } = await import('@tradenova/adapter-rithmic/simulator');
    const sim = await startRithmicSimulator({
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.exchange ? { exchange: options.exchange } : {}),
      ...(options.accounts ? { accounts: options.accounts.map((id) => ({ id, name: id })) } : {}),
    });
    return {
      broker: 'rithmic',
      endpoints: { gateway: sim.url },
      accounts: sim.accounts.map((a) => a.id),
      exchange: sim.exchange,
      adapterOptions: (accounts) => ({
        gatewayUrl: sim.url,
        user: 'simulator',
        password: 'simulator',
        accounts: [...accounts],
      }),
      dropConnections: () => sim.faults.dropConnections(),
      close: () => sim.close(),
    };
  },
  async ninjatrader(options) {
    const { startNinjaTraderSimulator } = await import('@tradenova/adapter-others/ninjatrader/simulator');
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'tradenova-nt-')));
    const sim = await startNinjaTraderSimulator({
      dir,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.exchange ? { exchange: options.exchange } : {}),
      ...(options.accounts ? { accounts: options.accounts } : {}),
    });
    return {
      broker: 'ninjatrader',
      endpoints: { incoming: sim.incoming, outgoing: sim.outgoing },
      accounts: [...sim.accounts],
      exchange: sim.exchange,
      adapterOptions: (accounts) => ({ folder: dir, accounts: [...accounts], ackTimeoutMs: 2000 }),
      close: async () => {
        await sim.close();
        if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
      },
    };
  },
  async sierrachart(options) {
    const { startSierraChartSimulator } = await import('@tradenova/adapter-others/sierrachart/simulator');
    const sim = await startSierraChartSimulator({
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.exchange ? { exchange: options.exchange } : {}),
      ...(options.accounts ? { accounts: options.accounts } : {}),
    });
    return {
      broker: 'sierrachart',
      endpoints: { dtc: `${sim.host}:${sim.port}` },
      accounts: [...sim.accounts],
      exchange: sim.exchange,
      adapterOptions: (accounts) => ({ host: sim.host, port: sim.port, accounts: [...accounts] }),
      close: () => sim.close(),
    };
  },
  async fix(options) {
    const { startFixSimulator } = await import('@tradenova/adapter-others/fix/simulator');
    const sim = await startFixSimulator({
      version: '4.4',
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.exchange ? { exchange: options.exchange } : {}),
      ...(options.accounts ? { accounts: [...options.accounts] } : {}),
    });
    const accounts = options.accounts ? [...options.accounts] : ['FIX1', 'FIX2'];
    return {
      broker: 'fix',
      endpoints: { fix: `127.0.0.1:${sim.port} (FIX.4.4, TargetCompID FIXSIM, any SenderCompID)` },
      accounts,
      exchange: sim.exchange,
      adapterOptions: (planAccounts) => ({
        host: '127.0.0.1',
        port: sim.port,
        version: '4.4',
        senderCompId: 'TRADENOVA',
        targetCompId: 'FIXSIM',
        username: 'simulator',
        password: 'simulator',
        // A fresh simulator starts its sequence at 1: a store kept by an earlier run would not match it.
        storeDirectory: undefined,
        accounts: [...planAccounts],
      }),
      close: () => sim.close(),
    };
  },
};

/** Market-data simulators (`tradenova sim dxfeed`): prices only, so not in the broker lists below. */
export async function startMarketDataSimulator(
  name: string,
  options: { port?: number } = {},
): Promise<{ endpoints: Record<string, string>; close: () => Promise<void> }> {
  if (name !== 'dxfeed') throw new CliError(`no market-data simulator "${name}" (known: dxfeed)`);
  const [{ startDxLinkSimulator }, { fromDxFeedSymbol }] = await Promise.all([
    import('@tradenova/adapter-others/dxfeed/simulator'),
    import('@tradenova/adapter-others/dxfeed'),
  ]);
  const tickOf = (symbol: string) => {
    try {
      return Number(defaultInstruments.get(fromDxFeedSymbol(symbol, defaultInstruments).root).tickSize);
    } catch {
      return 0.01;
    }
  };
  const sim = await startDxLinkSimulator({
    ...(options.port !== undefined ? { port: options.port } : {}),
    // Every subscribed symbol walks from 80,000 ticks, where the paper broker's synthetic prices start.
    walkOnSubscribe: { start: (symbol) => 80_000 * tickOf(symbol), tick: tickOf, intervalMs: 250 },
  });
  return { endpoints: { dxlink: sim.url }, close: () => sim.close() };
}

/**
 * Brokers the live demo spreads its followers over. NinjaTrader sits out: its files give
 * no price for the close of a flatten (booked at the engine's last price, an estimate),
 * and the demo's P&L should be exact. FIX sits out too: the demo's expectations (20
 * followers over the brokers, time to the first fill) were set before it existed.
 */
export function demoBrokers(): string[] {
  return simulatedBrokers().filter((b) => b !== 'ninjatrader' && b !== 'fix');
}

/** Broker names that have a simulator. */
export function simulatedBrokers(): string[] {
  return Object.keys(STARTERS);
}

/** Starts one broker's simulator. */
export async function startSimulator(
  broker: string,
  options: SimulatorOptions = {},
): Promise<RunningSimulator> {
  const start = STARTERS[broker];
  if (!start) {
    const guess = closest(broker, [...simulatedBrokers(), 'dxfeed']);
    throw new CliError(
      `no simulator for broker "${broker}"${guess ? ` (did you mean ${guess}?)` : ''}; simulators: ${[...simulatedBrokers(), 'dxfeed'].join(', ')}`,
    );
  }
  return start(options);
}

/**
 * Brokers whose simulator and adapter live in the replay's session time (`ReplayWireClock`).
 * ProjectX and Rithmic count request limits and token lifetimes in it: the session's
 * minutes, which a replay squeezes into seconds (ProjectX: 200 requests a minute per key),
 * on the same clock as the engine's budget for them. NinjaTrader only stamps in it (its
 * files carry no times: the adapter stamps fills). The other adapters watch their sockets
 * for silence by comparing clock readings, which a session clock that jumps between records
 * would trip: they and their simulators keep the wall clock, and the recorded times reach
 * them in the exchange's reports.
 */
const SESSION_TIME_BROKERS: Record<string, 'clock' | 'stampClock'> = {
  projectx: 'clock',
  rithmic: 'clock',
  ninjatrader: 'stampClock',
};

/**
 * For `replay --brokers simulated`: starts the simulator of each broker a
 * connection plan names, and connects that broker's real adapter to it over
 * loopback sockets, with no added latency. Every simulated exchange runs on the
 * replay's session clock, so fills carry the recorded times.
 */
export async function startSimulatedBrokers(): Promise<{
  connect: (
    plan: ConnectionPlan,
    session: { clock: Clock; stampClock: Clock },
  ) => Promise<{ connection: BrokerConnection; exchange: SimulatedExchange }>;
  close: () => Promise<void>;
}> {
  const running: RunningSimulator[] = [];
  const connections: BrokerConnection[] = [];
  return {
    async connect(plan, session) {
      const which = SESSION_TIME_BROKERS[plan.broker];
      const clock = which ? session[which] : systemClock;
      const exchange = new SimulatedExchange({ clock: session.stampClock, idPrefix: `${plan.broker}-` });
      const sim = await startSimulator(plan.broker, {
        accounts: plan.accounts,
        exchange,
        ...(clock === systemClock ? {} : { clock }),
      });
      running.push(sim);
      const plugin = await resolvePlugin(plan.broker);
      const parsed = plugin.configSchema.safeParse({ ...plan.options, ...sim.adapterOptions(plan.accounts) });
      if (!parsed.success) throw new CliError(`${plan.broker} simulator options: ${parsed.error.message}`);
      const connection = plugin.create(parsed.data, {
        clock,
        logger: silentLogger,
        instruments: defaultInstruments,
      });
      connections.push(connection);
      return { connection, exchange };
    },
    async close() {
      await Promise.allSettled(connections.map((c) => c.disconnect()));
      await Promise.allSettled(running.map((s) => s.close()));
    },
  };
}
