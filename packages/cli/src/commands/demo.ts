import { parseEngineConfig } from '@tradenova/core';
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
    /** Sees the started session (a test's fault hook: it can close one of the simulators). */
    onSession?: (session: Session) => void;
  } = {},
): Promise<number> {
  const { onSession, ...liveOptions } = live;
  const brokers = demoBrokers();
  if (options.printConfig) {
    io.stdout.write(demoConfigYaml(brokers, options.seed));
    return 0;
  }
  const config = parseEngineConfig(demoConfig(brokers, options.seed));
  const secrets = servicePasswords(config.services, options);
  const redact = makeRedactor(secrets);
  const prepared = await prepareLiveServices(config, options, {
    role: 'all',
    logger: stderrLogger(io.stderr, redact),
  });
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
      secrets,
    });
  } finally {
    await prepared.close();
  }
}
