import { parseEngineConfig } from '@tradenova/core';
import { SIGNING_KEY_ENV } from '../api/signing-key.js';
import { demoBrokers } from '../brokers/simulators.js';
import type { CommandIo } from '../io.js';
import { watchServices } from '../metrics/index.js';
import { demoConfig, demoConfigYaml } from '../run/demo-config.js';
import { type LiveOptions, runLive } from '../run/live.js';
import { openSession, type Session } from '../run/session.js';
import { stderrLogger } from '../scale-out/run-role.js';
import { makeRedactor } from '../secrets/redact.js';
import { prepareLiveServices } from '../services/live-services.js';
import { type ServiceFlags, servicePasswords } from '../services/runtime.js';

/** Flags of `tradenova demo`. */
export interface DemoCommandOptions extends ServiceFlags {
  json?: boolean;
  duration?: number;
  seed?: number;
  printConfig?: boolean;
  /** Serve Prometheus metrics at this address (`:9464`); off when absent. */
  metrics?: string;
  /** Serve the control API at this address (`:8081`, loopback; docs/api.md); off when absent. */
  api?: string;
}

/**
 * `tradenova demo`: the zero-account demo. Starts every broker simulator this
 * build has on loopback, a scripted leader on the paper broker, and 20
 * followers spread over the brokers, and copies live. Journaled like a run
 * (embedded database under `.tradenova/` unless `--journal` / `--no-journal`);
 * `--kafka` and `--redis` wire those in too.
 */
export async function demoCommand(
  options: DemoCommandOptions,
  io: CommandIo,
  live: Pick<LiveOptions, 'stop' | 'stdin' | 'onMetrics'> & {
    env?: NodeJS.ProcessEnv;
    /** Sees the started session (a test's fault hook: it can close one of the simulators). */
    onSession?: (session: Session) => void;
  } = {},
): Promise<number> {
  const { onSession, env, ...liveOptions } = live;
  const brokers = demoBrokers();
  if (options.printConfig) {
    io.stdout.write(demoConfigYaml(brokers, options.seed));
    return 0;
  }
  // The signing key is checked before any simulator starts.
  // fastify and the rest of the API load only when --api is given.
  const startApi =
    options.api !== undefined
      ? (await import('../api/index.js')).prepareSessionApi(options.api, env ?? process.env)
      : undefined;
  const config = parseEngineConfig(demoConfig(brokers, options.seed));
  const apiKey = options.api !== undefined ? (env ?? process.env)[SIGNING_KEY_ENV] : undefined;
  // The API's signing key is never printed; should it ever reach a line, it is cut out.
  const secrets = [...servicePasswords(config.services, options), ...(apiKey ? [apiKey] : [])];
  const redact = makeRedactor(secrets);
  const logger = stderrLogger(io.stderr, redact);
  const prepared = await prepareLiveServices(config, options, { role: 'all', logger });
  try {
    const session = await openSession(prepared.config, { bus: prepared.bus });
    try {
      await prepared.attach(session);
      onSession?.(session);
    } catch (error) {
      await session.close().catch(() => undefined);
      throw error;
    }
    return await runLive(session, io, {
      ...liveOptions,
      onMetrics: (endpoint) => {
        watchServices(endpoint.metrics, prepared, 'all');
        liveOptions.onMetrics?.(endpoint);
      },
      ...(options.json ? { json: true } : {}),
      ...(options.duration !== undefined ? { durationS: options.duration } : {}),
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
      ...(startApi ? { api: (print) => startApi(session, prepared, print, logger) } : {}),
      secrets,
    });
  } finally {
    await prepared.close();
  }
}
