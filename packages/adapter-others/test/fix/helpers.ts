import { type AdapterContext, defaultInstruments, silentLogger, systemClock } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { type FixConfigInput, fixConfigSchema } from '../../src/fix/config.js';
import { FixConnection } from '../../src/fix/connection.js';
import {
  type FixSimulator,
  type FixSimulatorOptions,
  startFixSimulator,
} from '../../src/fix/simulator/index.js';

/** The wall clock, silence and the built-in instruments: what a live run hands an adapter. */
export const context: AdapterContext = {
  clock: systemClock,
  logger: silentLogger,
  instruments: defaultInstruments,
};

/** A connection to the simulator (not connected yet). */
export function connectionTo(sim: FixSimulator, config: Partial<FixConfigInput> = {}): FixConnection {
  return new FixConnection(
    fixConfigSchema.parse({
      host: '127.0.0.1',
      port: sim.port,
      version: sim.version,
      senderCompId: 'TRADENOVA',
      targetCompId: 'FIXSIM',
      username: 'conformance',
      password: 'not-a-real-password',
      accounts: ['FIX1'],
      requestTimeoutMs: 2_000,
      reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
      ...config,
    }),
    context,
  );
}

/** A simulator and an unconnected connection to it over real loopback TCP. */
export async function startPair(
  simOptions: FixSimulatorOptions,
  config: Partial<FixConfigInput> = {},
): Promise<{ sim: FixSimulator; connection: FixConnection }> {
  const sim = await startFixSimulator(simOptions);
  return { sim, connection: connectionTo(sim, config) };
}

/** Waits until `check` holds, failing after `timeout` ms with what was awaited. */
export async function until(what: string, check: () => boolean, timeout = 5_000): Promise<void> {
  await waitFor(check, { message: what, timeout });
}
