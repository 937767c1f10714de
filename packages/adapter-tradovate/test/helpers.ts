import { type AdapterContext, defaultInstruments, silentLogger, systemClock } from '@tradenova/core';
import { type TradovateConfigInput, tradovateConfigSchema } from '../src/config.js';
import { TradovateConnection } from '../src/connection.js';
import {
  startTradovateSimulator,
  type TradovateSimulator,
  type TradovateSimulatorOptions,
} from '../src/simulator/index.js';

/** The wall clock, silence and the built-in instruments: what a live run hands an adapter. */
export const context: AdapterContext = {
  clock: systemClock,
  logger: silentLogger,
  instruments: defaultInstruments,
};

/** A simulator and a connection to it over real loopback sockets (the connection is not connected yet). */
export async function startPair(
  simOptions: TradovateSimulatorOptions = {},
  config: Partial<TradovateConfigInput> = {},
): Promise<{ sim: TradovateSimulator; connection: TradovateConnection; accountId: string }> {
  const sim = await startTradovateSimulator(simOptions);
  const parsed = tradovateConfigSchema.parse({
    baseUrl: sim.url,
    wsUrl: sim.wsUrl,
    username: 'conformance',
    password: 'not-a-real-password',
    deviceId: 'test-device',
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    ...config,
  });
  const connection = new TradovateConnection(parsed, context);
  return { sim, connection, accountId: sim.accounts[0]!.name };
}
