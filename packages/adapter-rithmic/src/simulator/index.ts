/**
 * @tradenova/adapter-rithmic/simulator: a Rithmic R|Protocol gateway on loopback (one
 * WebSocket endpoint at `/` for both plants) in front of the shared simulated exchange.
 */
import {
  type Clock,
  defaultInstruments,
  type InstrumentRegistry,
  type Logger,
  type Money,
  SimulatedExchange,
  type SimulatedExchangeOptions,
  systemClock,
} from '@tradenova/core';
import { RithmicSimulatorFaults } from './faults.js';
import { RithmicSimServer, type SimAccountSpec, type SimStats } from './server.js';

export { RithmicSimulatorFaults } from './faults.js';
export { RithmicSimServer, type SimAccountSpec, type SimServerOptions, type SimStats } from './server.js';

/** The accounts every user sees unless `accounts` says otherwise. */
export const DEMO_ACCOUNTS: readonly SimAccountSpec[] = Object.freeze([
  { id: 'TNSIM-0001', name: 'TradeNova Sim 1' },
  { id: 'TNSIM-0002', name: 'TradeNova Sim 2' },
  { id: 'TNSIM-0003', name: 'TradeNova Sim 3' },
]);

/** Options of `startRithmicSimulator`; every one is optional. */
export interface RithmicSimulatorOptions {
  /** TCP port on loopback; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  /** An exchange to put the protocol in front of (shared with other simulators); a new one otherwise. */
  exchange?: SimulatedExchange;
  /** Options of the exchange made when `exchange` is not given. */
  exchangeOptions?: Partial<SimulatedExchangeOptions>;
  clock?: Clock;
  instruments?: InstrumentRegistry;
  /** Accounts to open; `DEMO_ACCOUNTS` by default. */
  accounts?: readonly SimAccountSpec[];
  /** user → password. When set, only these logins are accepted; otherwise any credentials are. */
  users?: Readonly<Record<string, string>>;
  /** System names `RequestRithmicSystemInfo` lists and login accepts (default `Rithmic Test`, `Rithmic Paper Trading`). */
  systems?: readonly string[];
  /** `heartbeat_interval` in the login answer, s (default 60; the real value is UNCONFIRMED). */
  heartbeatIntervalSec?: number;
  /** Drop a logged-in socket silent for this long, ms (default 2 × the interval). */
  heartbeatTimeoutMs?: number;
  /** Sessions per user and plant before the oldest gets `ForcedLogout`; unlimited by default. */
  maxSessionsPerPlant?: number;
  /** `rp_code` of a rate-limit answer (default `["3", "rate limit exceeded"]`; Rithmic documents none). */
  rateLimitRpCode?: readonly string[];
  /** Starting balance of each account, mils (default 50 000 USD). */
  startingBalance?: Money;
  logger?: Logger;
}

/** A running Rithmic simulator. */
export interface RithmicSimulator {
  /** The gateway URL: the adapter's `gatewayUrl`. */
  url: string;
  port: number;
  /** The exchange behind the protocol: push quotes and trades here. */
  exchange: SimulatedExchange;
  faults: RithmicSimulatorFaults;
  accounts: readonly SimAccountSpec[];
  /** The system names served. */
  systems: readonly string[];
  /** Sends `ForcedLogout` (77) to every session of `user`; returns how many were ended. */
  forceLogout(user: string): number;
  stats(): SimStats;
  close(): Promise<void>;
}

/** Starts a Rithmic simulator on loopback. */
export async function startRithmicSimulator(
  options: RithmicSimulatorOptions = {},
): Promise<RithmicSimulator> {
  const clock = options.clock ?? systemClock;
  const instruments = options.instruments ?? defaultInstruments;
  // Rithmic basket ids are numeric strings; a bare counter prefix keeps them so.
  const exchange =
    options.exchange ??
    new SimulatedExchange({
      clock,
      instruments,
      idPrefix: '1000',
      ...(options.logger ? { logger: options.logger } : {}),
      ...options.exchangeOptions,
    });
  const accounts = options.accounts ?? DEMO_ACCOUNTS;
  for (const a of accounts) {
    if (!exchange.hasAccount(a.id)) exchange.openAccount(a.id, options.startingBalance ?? 50_000_000);
  }
  const faults = new RithmicSimulatorFaults(exchange);
  const heartbeatIntervalSec = options.heartbeatIntervalSec ?? 60;
  const systems = options.systems ?? ['Rithmic Test', 'Rithmic Paper Trading'];
  const server = new RithmicSimServer({
    exchange,
    faults,
    clock,
    instruments,
    accounts,
    users: options.users,
    systems,
    heartbeatIntervalSec,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? heartbeatIntervalSec * 2_000,
    maxSessionsPerPlant: options.maxSessionsPerPlant,
    fcmId: 'TradeNovaSim',
    ibId: 'TradeNovaSim',
    tradeRoute: 'simulator',
    rateLimitRpCode: options.rateLimitRpCode ?? ['3', 'rate limit exceeded'],
  });
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  return {
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    exchange,
    faults,
    accounts,
    systems,
    forceLogout: (user) => server.forceLogout(user),
    stats: () => ({ ...server.stats, framings: [...server.stats.framings] }),
    close: () => server.close(),
  };
}
