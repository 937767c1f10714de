import { parseEngineConfig } from '@tradenova/core';
import { demoBrokers } from '../brokers/simulators.js';
import { demoConfig, demoConfigYaml } from '../run/demo-config.js';
import { type LiveOptions, runLive } from '../run/live.js';
import { openSession } from '../run/session.js';
import type { CommandIo } from './replay.js';

/** Flags of `tradenova demo`. */
export interface DemoCommandOptions {
  json?: boolean;
  duration?: number;
  seed?: number;
  printConfig?: boolean;
}

/**
 * `tradenova demo`: the zero-account demo. Starts every broker simulator this
 * build has on loopback, a scripted leader on the paper broker, and 20
 * followers spread over the brokers, and copies live.
 */
export async function demoCommand(
  options: DemoCommandOptions,
  io: CommandIo,
  live: Pick<LiveOptions, 'stop' | 'stdin'> = {},
): Promise<number> {
  const brokers = demoBrokers();
  if (options.printConfig) {
    io.stdout.write(demoConfigYaml(brokers, options.seed));
    return 0;
  }
  const config = parseEngineConfig(demoConfig(brokers, options.seed));
  const session = await openSession(config);
  return runLive(session, io, {
    ...live,
    ...(options.json ? { json: true } : {}),
    ...(options.duration !== undefined ? { durationS: options.duration } : {}),
  });
}
