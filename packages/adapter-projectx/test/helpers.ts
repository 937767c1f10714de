import { type AdapterContext, defaultInstruments, silentLogger, systemClock } from '@tradenova/core';
import { type ProjectXConfigInput, projectxConfigSchema } from '../src/config.js';
import { ProjectXConnection } from '../src/connection.js';
import {
  type ProjectXSimulator,
  type ProjectXSimulatorOptions,
  startProjectXSimulator,
} from '../src/simulator/index.js';

/** The wall clock, silence and the built-in instruments: what a live run hands an adapter. */
export const context: AdapterContext = {
  clock: systemClock,
  logger: silentLogger,
  instruments: defaultInstruments,
};

/** Short hub timings and backoff so outages and reconnects fit in a test. */
export const FAST_HUB = {
  skipNegotiation: true,
  serverTimeoutMs: 2_000,
  keepAliveMs: 500,
  reconnectInitialDelayMs: 100,
  reconnectMaxDelayMs: 300,
};

/** A simulator and a connection to it over real loopback sockets (the connection is not connected yet). */
export async function startPair(
  simOptions: ProjectXSimulatorOptions = {},
  config: Partial<ProjectXConfigInput> = {},
): Promise<{ sim: ProjectXSimulator; connection: ProjectXConnection; accountId: string }> {
  const sim = await startProjectXSimulator(simOptions);
  const parsed = projectxConfigSchema.parse({
    baseUrl: sim.url,
    hubUrl: sim.hubUrl,
    userName: 'conformance',
    apiKey: 'not-a-real-key',
    hub: FAST_HUB,
    pollIntervalMs: 200,
    ...config,
  });
  const connection = new ProjectXConnection(parsed, context);
  return { sim, connection, accountId: sim.accounts[0]!.name };
}
