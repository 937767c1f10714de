/**
 * @tradenova/adapter-others/sierrachart/simulator: a Sierra Chart DTC Protocol Server on
 * loopback (JSON encoding, trading allowed) in front of the shared simulated exchange.
 */
import {
  type Clock,
  type Logger,
  type Money,
  SimulatedExchange,
  type SimulatedExchangeOptions,
  silentLogger,
  systemClock,
} from '@tradenova/core';
import { sierraSymbols } from '../symbols.js';
import { SierraChartSimulatorFaults } from './faults.js';
import { SierraSimServer, type SierraSimStats } from './server.js';

export { SierraChartSimulatorFaults } from './faults.js';
export { SierraSimServer, type SierraSimServerOptions, type SierraSimStats } from './server.js';

/** The trade accounts the simulator opens unless told otherwise (Sierra names simulation accounts `Sim1`…). */
export const DEMO_ACCOUNTS: readonly string[] = Object.freeze(['Sim1', 'Sim2', 'Sim3']);

/** Options of `startSierraChartSimulator`; every one is optional. */
export interface SierraChartSimulatorOptions {
  /** TCP port on loopback; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; loopback by default. */
  host?: string;
  /** An exchange to put the protocol in front of (shared with other simulators); a new one otherwise. */
  exchange?: SimulatedExchange;
  /** Options of the exchange made when `exchange` is not given. */
  exchangeOptions?: Partial<SimulatedExchangeOptions>;
  clock?: Clock;
  /** Trade accounts to open and serve; `DEMO_ACCOUNTS` by default. */
  accounts?: readonly string[];
  /** username → password. When set, only these logons are accepted; otherwise any are. */
  users?: Readonly<Record<string, string>>;
  /** The service's symbol form (same tokens as the adapter's `symbolFormat`); `{root}{month}{yy}-{exchange}` by default. */
  symbolFormat?: string;
  /** Starting balance of each account, mils (default 50 000 USD). */
  startingBalance?: Money;
  /** How long a bracket parent waits for its OCO pair, ms (default 1 000). */
  parentHoldMs?: number;
  logger?: Logger;
}

/** A running Sierra Chart simulator. */
export interface SierraChartSimulator {
  host: string;
  port: number;
  exchange: SimulatedExchange;
  faults: SierraChartSimulatorFaults;
  accounts: readonly string[];
  stats(): SierraSimStats;
  close(): Promise<void>;
}

/** Starts a DTC server on loopback. */
export async function startSierraChartSimulator(
  options: SierraChartSimulatorOptions = {},
): Promise<SierraChartSimulator> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const exchange =
    options.exchange ?? new SimulatedExchange({ clock, idPrefix: 'sc-', logger, ...options.exchangeOptions });
  const accounts = options.accounts ?? DEMO_ACCOUNTS;
  for (const account of accounts) {
    if (!exchange.hasAccount(account)) exchange.openAccount(account, options.startingBalance ?? 50_000_000);
  }
  const faults = new SierraChartSimulatorFaults(exchange);
  const server = new SierraSimServer({
    exchange,
    faults,
    clock,
    logger,
    accounts,
    symbols: sierraSymbols(options.symbolFormat ?? '{root}{month}{yy}-{exchange}', exchange.instruments),
    ...(options.users ? { users: options.users } : {}),
    parentHoldMs: options.parentHoldMs ?? 1_000,
  });
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  return {
    host,
    port,
    exchange,
    faults,
    accounts,
    stats: () => ({ ...server.stats, messages: { ...server.stats.messages } }),
    close: () => server.close(),
  };
}
