import { type AdapterContext, defaultInstruments, silentLogger, systemClock } from '@tradenova/core';
import { type RithmicConfigInput, rithmicConfigSchema } from '../src/config.js';
import { RithmicConnection } from '../src/connection.js';
import {
  type RithmicSimulator,
  type RithmicSimulatorOptions,
  startRithmicSimulator,
} from '../src/simulator/index.js';

/** The wall clock, silence and the built-in instruments: what a live run hands an adapter. */
export const context: AdapterContext = {
  clock: systemClock,
  logger: silentLogger,
  instruments: defaultInstruments,
};

/** A simulator and an unconnected connection to it over real loopback sockets. */
export async function startPair(
  simOptions: RithmicSimulatorOptions = {},
  config: Partial<RithmicConfigInput> = {},
): Promise<{ sim: RithmicSimulator; connection: RithmicConnection; accountId: string }> {
  const sim = await startRithmicSimulator(simOptions);
  const parsed = rithmicConfigSchema.parse({
    gatewayUrl: sim.url,
    user: 'conformance',
    password: 'not-a-real-password',
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    requestTimeoutMs: 3_000,
    ...config,
  });
  return { sim, connection: new RithmicConnection(parsed, context), accountId: sim.accounts[0]!.id };
}
