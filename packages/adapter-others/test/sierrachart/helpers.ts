import { type AdapterContext, defaultInstruments, silentLogger, systemClock } from '@tradenova/core';
import { type SierraChartConfigInput, sierraChartConfigSchema } from '../../src/sierrachart/config.js';
import { SierraChartConnection } from '../../src/sierrachart/connection.js';
import {
  type SierraChartSimulator,
  type SierraChartSimulatorOptions,
  startSierraChartSimulator,
} from '../../src/sierrachart/simulator/index.js';

/** The wall clock, silence and the built-in instruments: what a live run hands an adapter. */
export const context: AdapterContext = {
  clock: systemClock,
  logger: silentLogger,
  instruments: defaultInstruments,
};

/** A connection to `host:port` (not connected yet). */
export function connectionTo(
  port: number,
  config: Partial<SierraChartConfigInput> = {},
): SierraChartConnection {
  return new SierraChartConnection(
    sierraChartConfigSchema.parse({
      host: '127.0.0.1',
      port,
      username: 'conformance',
      password: 'not-a-real-password',
      requestTimeoutMs: 2_000,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      ...config,
    }),
    context,
  );
}

/** A simulator and a connection to it over real loopback TCP (the connection is not connected yet). */
export async function startPair(
  simOptions: SierraChartSimulatorOptions = {},
  config: Partial<SierraChartConfigInput> = {},
): Promise<{ sim: SierraChartSimulator; connection: SierraChartConnection }> {
  const sim = await startSierraChartSimulator(simOptions);
  return { sim, connection: connectionTo(sim.port, config) };
}
