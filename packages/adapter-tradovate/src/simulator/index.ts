/**
 * @tradenova/adapter-tradovate/simulator: a Tradovate server on loopback (REST under
 * `/v1/...`, the user socket at `/v1/websocket`) in front of the shared simulated exchange.
 */
import {
  type Clock,
  type Logger,
  type Money,
  SimulatedExchange,
  type SimulatedExchangeOptions,
  systemClock,
} from '@tradenova/core';
import { TradovateSimulatorFaults } from './faults.js';
import { type SimAccountSpec, type SimStats, TradovateSimServer } from './server.js';

export { type PlacementTags, type PropsListener, SimEntities } from './entities.js';
export { type PenaltyFault, TradovateSimulatorFaults } from './faults.js';
export { type SimAccountSpec, type SimServerOptions, type SimStats, TradovateSimServer } from './server.js';

/**
 * The demo accounts every user sees unless `accounts` says otherwise: three
 * accounts with 50 000 USD each, named as Tradovate names demo accounts.
 */
export const DEMO_ACCOUNTS: readonly SimAccountSpec[] = Object.freeze([
  { id: 701_001, name: 'DEMO701001' },
  { id: 701_002, name: 'DEMO701002' },
  { id: 701_003, name: 'DEMO701003' },
]);

/** Options of `startTradovateSimulator`; every one is optional. */
export interface TradovateSimulatorOptions {
  /** TCP port on loopback; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; loopback by default. */
  host?: string;
  /** An exchange to put the protocol in front of (shared with other simulators); a new one otherwise. */
  exchange?: SimulatedExchange;
  /** Options of the exchange made when `exchange` is not given (the clock defaults to the wall clock). */
  exchangeOptions?: Partial<SimulatedExchangeOptions>;
  /** The clock of token expiry and penalties (the wall clock by default). */
  clock?: Clock;
  /** Accounts to open; `DEMO_ACCOUNTS` by default. */
  accounts?: readonly SimAccountSpec[];
  /** username → password. When set, only these logins are accepted; otherwise any credentials are. */
  users?: Readonly<Record<string, string>>;
  /** Lifetime of an access token, ms (Tradovate's is 80–90 minutes; 90 by default). */
  tokenLifetimeMs?: number;
  /** Refuse token requests without `deviceId`, as live does. */
  requireDeviceId?: boolean;
  /** Requests per endpoint per second before a penalty ticket (default 100; 0 turns it off). */
  penaltyRequestsPerSecond?: number;
  /** `p-time` of a rate penalty, in seconds (default 1). */
  penaltySeconds?: number;
  /** Drop a socket that sends nothing for this long, ms (default 10 000; the real limit is UNCONFIRMED). */
  heartbeatTimeoutMs?: number;
  /** Send `h` after this long without a frame to the client, ms (default 2 500). */
  serverHeartbeatMs?: number;
  /** Make a repeated `clOrdId` return the first order (default false: the real API's behaviour is UNCONFIRMED). */
  dedupeClOrdId?: boolean;
  /** Starting balance of each account, mils (default 50 000 USD). */
  startingBalance?: Money;
  logger?: Logger;
}

/** A running simulator. */
export interface TradovateSimulator {
  /** REST base including `/v1`: use it as the adapter's `baseUrl`. */
  url: string;
  /** The user socket URL: the adapter's `wsUrl`. */
  wsUrl: string;
  port: number;
  /** The exchange behind the protocol: push quotes and trades here. */
  exchange: SimulatedExchange;
  /** Fault injection. */
  faults: TradovateSimulatorFaults;
  /** The accounts the simulator opened. */
  accounts: readonly SimAccountSpec[];
  /** What the simulator served so far (logins, renewals, penalties, ...). */
  stats(): SimStats;
  close(): Promise<void>;
}

/** Starts a Tradovate simulator on loopback. */
export async function startTradovateSimulator(
  options: TradovateSimulatorOptions = {},
): Promise<TradovateSimulator> {
  const clock = options.clock ?? systemClock;
  const exchange =
    options.exchange ??
    new SimulatedExchange({
      clock,
      idPrefix: 'tv-',
      ...(options.logger ? { logger: options.logger } : {}),
      ...options.exchangeOptions,
    });
  const faults = new TradovateSimulatorFaults(exchange);
  const accounts = options.accounts ?? DEMO_ACCOUNTS;
  const server = new TradovateSimServer({
    exchange,
    faults,
    clock,
    accounts,
    ...(options.users ? { users: options.users } : {}),
    tokenLifetimeMs: options.tokenLifetimeMs ?? 90 * 60_000,
    requireDeviceId: options.requireDeviceId ?? false,
    penaltyRequestsPerSecond: options.penaltyRequestsPerSecond ?? 100,
    penaltySeconds: options.penaltySeconds ?? 1,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 10_000,
    serverHeartbeatMs: options.serverHeartbeatMs ?? 2_500,
    dedupeClOrdId: options.dedupeClOrdId ?? false,
    startingBalance: options.startingBalance ?? 50_000_000,
  });
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  const base = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: `http://${base}/v1`,
    wsUrl: `ws://${base}/v1/websocket`,
    port,
    exchange,
    faults,
    accounts,
    stats: () => ({ ...server.stats }),
    close: () => server.close(),
  };
}
