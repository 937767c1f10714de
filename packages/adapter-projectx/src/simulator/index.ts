/**
 * @tradenova/adapter-projectx/simulator: a ProjectX Gateway on loopback (REST under
 * `/api/...`, the SignalR user hub at `/hubs/user`) in front of the shared simulated exchange.
 */
import {
  type Clock,
  type Logger,
  type Money,
  SimulatedExchange,
  type SimulatedExchangeOptions,
  systemClock,
} from '@tradenova/core';
import { type HubEventShape, ProjectXSimulatorFaults } from './faults.js';
import { ProjectXSimServer, type SimAccountSpec, type SimStats } from './server.js';

export { type HubEventShape, ProjectXSimulatorFaults } from './faults.js';
export { type HubServerOptions, type HubTopic, type HubUser, SimulatedUserHub } from './hub.js';
export { ProjectXSimServer, type SimAccountSpec, type SimServerOptions, type SimStats } from './server.js';

/**
 * The demo accounts every login sees unless `accounts` says otherwise: three
 * practice accounts with 50 000 USD each, named as ProjectX names them.
 */
export const DEMO_ACCOUNTS: readonly SimAccountSpec[] = Object.freeze([
  { id: 536, name: 'PRAC-V2-12345-00001' },
  { id: 537, name: 'PRAC-V2-12345-00002' },
  { id: 538, name: 'PRAC-V2-12345-00003' },
]);

/** Options of `startProjectXSimulator`; every one is optional. */
export interface ProjectXSimulatorOptions {
  /** TCP port on loopback; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; loopback by default. */
  host?: string;
  /** An exchange to put the protocol in front of (shared with other simulators); a new one otherwise. */
  exchange?: SimulatedExchange;
  /** Options of the exchange made when `exchange` is not given (the clock defaults to the wall clock). */
  exchangeOptions?: Partial<SimulatedExchangeOptions>;
  /** The clock of token expiry and the rate limit (the wall clock by default). */
  clock?: Clock;
  /** Accounts to open; `DEMO_ACCOUNTS` by default. */
  accounts?: readonly SimAccountSpec[];
  /** userName → apiKey. When set, only these logins are accepted; otherwise any are. */
  users?: Readonly<Record<string, string>>;
  /** Token lifetime, ms (ProjectX: 24 h, the default). */
  tokenLifetimeMs?: number;
  /** REST requests per user per window before 429 (default 200 per 60 000 ms, §9). */
  rateLimit?: { requests: number; perMs: number };
  /** Hub event argument shape (default `wrapped`, `{action, data}`); switch later through `faults.eventShape`. */
  eventShape?: HubEventShape;
  /** Server → client hub Ping period, ms (default 15 000). */
  hubPingIntervalMs?: number;
  /** Drop a hub client silent for this long, ms (default 30 000). */
  hubClientTimeoutMs?: number;
  /** Starting balance of each account, mils (default 50 000 USD). */
  startingBalance?: Money;
  logger?: Logger;
}

/** A running simulator. */
export interface ProjectXSimulator {
  /** REST host root (the adapter's `baseUrl`); endpoints are under `${url}/api/`. */
  url: string;
  /** The user hub URL (the adapter's `hubUrl`). */
  hubUrl: string;
  port: number;
  /** The exchange behind the protocol: push quotes and trades here. */
  exchange: SimulatedExchange;
  /** Fault injection, hub outages and the event-shape switch. */
  faults: ProjectXSimulatorFaults;
  /** The accounts the simulator opened. */
  accounts: readonly SimAccountSpec[];
  /** What the simulator served so far. */
  stats(): SimStats;
  /** Hub clients connected now (past the handshake). */
  hubClients(): number;
  close(): Promise<void>;
}

/** Starts a ProjectX simulator on loopback. */
export async function startProjectXSimulator(
  options: ProjectXSimulatorOptions = {},
): Promise<ProjectXSimulator> {
  const clock = options.clock ?? systemClock;
  const exchange =
    options.exchange ??
    new SimulatedExchange({
      clock,
      idPrefix: 'px-',
      ...(options.logger ? { logger: options.logger } : {}),
      ...options.exchangeOptions,
    });
  const faults = new ProjectXSimulatorFaults(exchange);
  if (options.eventShape) faults.eventShape = options.eventShape;
  const accounts = options.accounts ?? DEMO_ACCOUNTS;
  const server = new ProjectXSimServer({
    exchange,
    faults,
    clock,
    accounts,
    ...(options.users ? { users: options.users } : {}),
    tokenLifetimeMs: options.tokenLifetimeMs ?? 24 * 3_600_000,
    rateLimit: options.rateLimit ?? { requests: 200, perMs: 60_000 },
    hubPingIntervalMs: options.hubPingIntervalMs ?? 15_000,
    hubClientTimeoutMs: options.hubClientTimeoutMs ?? 30_000,
    startingBalance: options.startingBalance ?? 50_000_000,
  });
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: base,
    hubUrl: `${base}/hubs/user`,
    port,
    exchange,
    faults,
    accounts,
    stats: () => ({ ...server.stats, byEndpoint: { ...server.stats.byEndpoint } }),
    hubClients: () => server.hub.clientCount,
    close: () => server.close(),
  };
}
