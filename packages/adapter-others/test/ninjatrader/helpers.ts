import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AdapterContext, defaultInstruments, silentLogger, systemClock } from '@tradenova/core';
import { type NinjaTraderConfigInput, ninjaTraderConfigSchema } from '../../src/ninjatrader/config.js';
import { NinjaTraderConnection } from '../../src/ninjatrader/connection.js';
import {
  type NinjaTraderSimulator,
  type NinjaTraderSimulatorOptions,
  startNinjaTraderSimulator,
} from '../../src/ninjatrader/simulator/index.js';

/** The wall clock, silence and the built-in instruments: what a live run hands an adapter. */
export const context: AdapterContext = {
  clock: systemClock,
  logger: silentLogger,
  instruments: defaultInstruments,
};

/** A fresh temp folder standing in for `Documents\NinjaTrader 8`. */
export async function tempFolder(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tn-nt-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A connection to the folders of `dir` (not connected yet). */
export function connectionFor(
  dir: string,
  config: Partial<NinjaTraderConfigInput> = {},
): NinjaTraderConnection {
  const parsed = ninjaTraderConfigSchema.parse({
    folder: dir,
    accounts: ['Sim101', 'Sim102'],
    ackTimeoutMs: 3_000,
    rescanMs: 200,
    ...config,
  });
  return new NinjaTraderConnection(parsed, context);
}

/** A simulator on a fresh temp folder and a connection to it (not connected yet). */
export async function startPair(
  simOptions: Partial<NinjaTraderSimulatorOptions> = {},
  config: Partial<NinjaTraderConfigInput> = {},
): Promise<{
  sim: NinjaTraderSimulator;
  connection: NinjaTraderConnection;
  dir: string;
  stop: () => Promise<void>;
}> {
  const folder = await tempFolder();
  const sim = await startNinjaTraderSimulator({ dir: folder.dir, rescanMs: 200, ...simOptions });
  const connection = connectionFor(folder.dir, config);
  return {
    sim,
    connection,
    dir: folder.dir,
    stop: async () => {
      await sim.close();
      await folder.remove();
    },
  };
}
