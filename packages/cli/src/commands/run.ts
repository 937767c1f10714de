import { resolveSigningKey, SIGNING_KEY_ENV } from '../api/signing-key.js';
import { loadConfig } from '../config/load-config.js';
import { CliError } from '../errors.js';
import type { CommandIo } from '../io.js';
import { watchServices } from '../metrics/index.js';
import { type LiveOptions, runLive } from '../run/live.js';
import { recoverOnStart } from '../run/recovery.js';
import { AdoptedOrders, SourceGate } from '../run/recovery-adopt.js';
import { openSession } from '../run/session.js';
import { attachExecutor, runRouter, stderrLogger } from '../scale-out/run-role.js';
import { makeRedactor } from '../secrets/redact.js';
import { secretsForConfig } from '../secrets/resolver.js';
import { prepareLiveServices, type RunRole } from '../services/live-services.js';
import { type ServiceFlags, servicePasswords } from '../services/runtime.js';

/** Flags of `tradenova run`. */
export interface RunCommandOptions extends ServiceFlags {
  config?: string;
  json?: boolean;
  duration?: number;
  /** `all` (default): one process does everything; `router` / `executor`: one scale-out role. */
  role?: RunRole;
  /** Serve Prometheus metrics at this address (`:9464`); off when absent. */
  metrics?: string;
  /** Serve the control API at this address (`:8081`, loopback; docs/api.md); off when absent. */
  api?: string;
}

/**
 * `tradenova run -c config.yaml`: connects the leader and every follower
 * through their adapters and copies live until Ctrl-C / SIGTERM (or `--duration`).
 * Every credential reference must resolve: a live run never guesses. The
 * configured services (journal, Kafka, Redis) are opened and checked first, so an
 * unreachable one stops the run before any broker is touched (exit 2).
 */
export async function runCommand(
  file: string | undefined,
  options: RunCommandOptions,
  io: CommandIo,
  live: Pick<LiveOptions, 'stop' | 'stdin' | 'onMetrics'> & { env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  const path = file ?? options.config;
  if (!path)
    throw new CliError('give the config: tradenova run -c config.yaml (or tradenova run config.yaml)');
  const env = live.env ?? process.env;
  // On a terminal, a vault with no key in the environment asks for its passphrase here, before the dashboard.
  const secret = await secretsForConfig(path, env, { stdin: live.stdin ?? process.stdin, stderr: io.stderr });
  const loaded = loadConfig(path, { env, secret }, { lenientReferences: false });
  const role = options.role ?? 'all';
  const secrets = [
    ...loaded.secrets,
    ...servicePasswords(loaded.config.services, options),
    // The API's signing key is never printed; should it ever reach a line, it is cut out.
    ...(options.api !== undefined && env[SIGNING_KEY_ENV] ? [env[SIGNING_KEY_ENV]] : []),
  ];
  const redact = makeRedactor(secrets);
  const logger = stderrLogger(io.stderr, redact);
  // Errors from here on may quote a configured value (an account id from ${env:…}): never its text.
  try {
    return await runLoaded(path, loaded, options, live, io, role, secrets, redact, logger);
  } catch (error) {
    if (error instanceof Error && secrets.length > 0) error.message = redact(error.message);
    throw error;
  }
}

async function runLoaded(
  path: string,
  loaded: ReturnType<typeof loadConfig>,
  options: RunCommandOptions,
  live: Pick<LiveOptions, 'stop' | 'stdin' | 'onMetrics'> & { env?: NodeJS.ProcessEnv },
  io: CommandIo,
  role: NonNullable<RunCommandOptions['role']>,
  secrets: string[],
  redact: (text: string) => string,
  logger: ReturnType<typeof stderrLogger>,
): Promise<number> {
  const { env: _env, ...liveRest } = live;
  if (role === 'gateway' && options.api === undefined)
    throw new CliError('--role gateway serves the control API: give its address, e.g. --api 127.0.0.1:8081');
  if ((role === 'router' || role === 'executor') && options.api !== undefined)
    throw new CliError(
      `--api is served by --role all, or for a scale-out cluster by --role gateway (a ${role} holds ${role === 'router' ? 'no account state' : 'only some accounts'})`,
    );
  // The signing key is checked before any service or broker is touched.
  const gatewayKey = role === 'gateway' ? resolveSigningKey(live.env ?? process.env) : undefined;
  const startApi =
    options.api !== undefined && role !== 'gateway'
      ? // fastify and the rest of the API load only when --api is given.
        (await import('../api/index.js')).prepareSessionApi(options.api, live.env ?? process.env)
      : undefined;
  const prepared = await prepareLiveServices(loaded.config, options, { role, logger, redact });
  try {
    if (role === 'gateway') {
      const { runGateway } = await import('../scale-out/gateway.js');
      return await runGateway(prepared, io, {
        address: options.api!,
        key: gatewayKey!,
        ...(options.duration !== undefined ? { durationS: options.duration } : {}),
        ...(live.stop ? { stop: live.stop } : {}),
        redact,
        logger,
      });
    }
    if (role === 'router') {
      return await runRouter(prepared, io, {
        ...(options.duration !== undefined ? { durationS: options.duration } : {}),
        ...(live.stop ? { stop: live.stop } : {}),
        ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
        ...(live.onMetrics ? { onMetrics: live.onMetrics } : {}),
        redact,
        logger,
      });
    }
    // Start-up recovery belongs to the process that owns the leader and every follower (role all).
    const policy = prepared.config.reconcile.onStart;
    const recovery =
      role === 'all' && policy !== 'off'
        ? { gate: new SourceGate(), adopted: new AdoptedOrders(), copyOpenAtStart: policy === 'align' }
        : undefined;
    const session = await openSession(prepared.config, {
      configFile: path,
      // The engine's own errors (a recovery that failed) on stderr, redacted; not over the dashboard.
      ...(dashboard(options, io, live.stdin ?? process.stdin) ? {} : { logger }),
      bus: prepared.bus,
      noLeaderSource: role === 'executor',
      connectOnStart: role !== 'executor',
      ...(recovery ? { recovery } : {}),
    });
    let executor: ReturnType<typeof attachExecutor> | undefined;
    try {
      await prepared.attach(session);
      if (role === 'executor')
        executor = attachExecutor(session, prepared, logger, {
          // Lines like `router-started`: scripts and tests know the member is in the group,
          // and which partitions and broker connections it holds after each rebalance.
          onJoined: (partitions, connections, sessionTimeoutMs) =>
            io.stdout.write(
              `${JSON.stringify({ type: 'executor-started', time: Date.now(), partitions, connections, sessionTimeoutMs })}\n`,
            ),
          onAssignment: (partitions, connections) =>
            io.stdout.write(
              `${JSON.stringify({ type: 'executor-assigned', time: Date.now(), partitions, connections })}\n`,
            ),
        });
    } catch (error) {
      await session.close().catch(() => undefined);
      throw error;
    }
    const exit = await runLive(session, io, {
      ...liveRest,
      onMetrics: (endpoint) => {
        watchServices(endpoint.metrics, prepared, role === 'executor' ? 'executor' : 'all');
        liveRest.onMetrics?.(endpoint);
      },
      ...(options.json ? { json: true } : {}),
      ...(options.duration !== undefined ? { durationS: options.duration } : {}),
      ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
      ...(startApi ? { api: (print) => startApi(session, prepared, print, logger) } : {}),
      ...(role === 'all'
        ? {
            afterStart: async () =>
              ({
                ...(await recoverOnStart({
                  policy,
                  config: session.config,
                  engine: session.engine,
                  connections: session.connections,
                  leaderConnection: session.leaderConnection,
                  ...(prepared.services.journal ? { journal: prepared.services.journal } : {}),
                  bus: prepared.bus,
                  adopted: recovery?.adopted ?? new AdoptedOrders(),
                  gate: recovery?.gate ?? new SourceGate(),
                })),
              }) as Record<string, unknown>,
          }
        : {}),
      secrets,
    });
    if (executor) {
      io.stdout.write(
        `${JSON.stringify({ type: 'executor-stopped', time: Date.now(), ...executor.stats })}\n`,
      );
    }
    return exit;
  } finally {
    await prepared.close();
  }
}

/** Whether `runLive` will draw the dashboard (a terminal and no --json): log lines would scribble over it. */
function dashboard(options: RunCommandOptions, io: CommandIo, stdin: { isTTY?: boolean }): boolean {
  return !options.json && Boolean((io.stdout as { isTTY?: boolean }).isTTY) && Boolean(stdin.isTTY);
}
