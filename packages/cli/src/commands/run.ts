import { loadConfig } from '../config/load-config.js';
import { CliError } from '../errors.js';
import { type LiveOptions, runLive } from '../run/live.js';
import { openSession } from '../run/session.js';
import type { CommandIo } from './replay.js';

/** Flags of `tradenova run`. */
export interface RunCommandOptions {
  config?: string;
  json?: boolean;
  duration?: number;
}

/**
 * `tradenova run -c config.yaml`: connects the leader and every follower
 * through their adapters and copies live until Ctrl-C / SIGTERM (or `--duration`).
 * Every credential reference must resolve: a live run never guesses.
 */
export async function runCommand(
  file: string | undefined,
  options: RunCommandOptions,
  io: CommandIo,
  live: Pick<LiveOptions, 'stop' | 'stdin'> = {},
): Promise<number> {
  const path = file ?? options.config;
  if (!path)
    throw new CliError('give the config: tradenova run -c config.yaml (or tradenova run config.yaml)');
  const loaded = loadConfig(path, { env: process.env }, { lenientReferences: false });
  const session = await openSession(loaded.config, { configFile: path });
  return runLive(session, io, {
    ...live,
    ...(options.json ? { json: true } : {}),
    ...(options.duration !== undefined ? { durationS: options.duration } : {}),
    secrets: loaded.secrets,
  });
}
