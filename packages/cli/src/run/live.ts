import { CliError, ExitCode } from '../errors.js';
import { type CommandIo, shutdownSignal } from '../io.js';
import { type MetricsServer, startRunMetrics } from '../metrics/index.js';
import type { RunMetrics } from '../metrics/metrics.js';
import { makeRedactor } from '../secrets/redact.js';
import { startDemoLeader } from './demo-leader.js';
import { jsonLinesSink } from './headless.js';
import type { Session } from './session.js';
import { explainStartFailure } from './start-failure.js';

// Kept for code written against the old home; new code imports it from ../io.js.
export { shutdownSignal } from '../io.js';

/** How a live session runs and ends. */
export interface LiveOptions {
  /** JSON lines instead of the dashboard, even on a TTY. */
  json?: boolean;
  /** Stop by itself after this many seconds (tests, CI, a timed demo). */
  durationS?: number;
  /** Values that must never be printed. */
  secrets?: readonly string[];
  /** Resolves when the run must stop (SIGINT / SIGTERM by default). */
  stop?: Promise<unknown>;
  /** Where the dashboard reads keys (process.stdin by default). */
  stdin?: NodeJS.ReadStream;
  /** Serve Prometheus metrics at this address (`:9464`, `127.0.0.1:9464`); off when absent. */
  metrics?: string;
  /**
   * Runs once the engine started and before anything new is copied (start-up recovery);
   * its answer is printed as one JSON line (or a sentence on the dashboard's terminal).
   */
  afterStart?: () => Promise<Record<string, unknown>>;
  /**
   * Starts the control API (`--api`) before the engine, so its stream holds every event;
   * `print` puts a line among the JSON lines (the audit of each control action).
   */
  api?: (print: (line: Record<string, unknown>) => void) => Promise<{ url: string; close(): Promise<void> }>;
  /** Called with the metrics endpoint once it listens (tests scrape it; the lag hooks live on it). */
  onMetrics?: (endpoint: { url: string; metrics: RunMetrics }) => void;
}

/**
 * Starts the session's engine (and the demo leader when its config asks for
 * one), shows the dashboard on a TTY or prints JSON lines otherwise, and shuts
 * down gracefully when told: no new signals, in-flight orders finished or
 * recorded, connections and simulators closed. Returns the exit code.
 */
export async function runLive(session: Session, io: CommandIo, options: LiveOptions = {}): Promise<number> {
  const stdin = options.stdin ?? process.stdin;
  const interactive =
    !options.json && Boolean((io.stdout as { isTTY?: boolean }).isTTY) && Boolean(stdin.isTTY);
  const redact = makeRedactor(options.secrets ?? []);
  const sink = interactive ? undefined : jsonLinesSink(io.stdout, redact);
  if (sink) {
    session.engine.addSink(sink);
    session.onLeaderActivity((a) => sink.leader(a));
  }
  const signals = options.stop ? undefined : shutdownSignal();
  const stopTriggers: Promise<unknown>[] = [options.stop ?? signals!.promise];
  let timer: NodeJS.Timeout | undefined;
  if (options.durationS !== undefined) {
    stopTriggers.push(new Promise((resolve) => (timer = setTimeout(resolve, options.durationS! * 1000))));
  }
  const started = Date.now();
  let metricsServer: MetricsServer | undefined;
  let apiServer: { url: string; close(): Promise<void> } | undefined;
  try {
    if (options.metrics !== undefined) {
      const endpoint = await startRunMetrics(session, options.metrics, redact);
      metricsServer = endpoint.server;
      io.stderr.write(`tradenova: metrics at ${endpoint.server.url}\n`);
      options.onMetrics?.({ url: endpoint.server.url, metrics: endpoint.metrics });
    }
    if (options.api) {
      try {
        apiServer = await options.api((line) => sink?.line(line));
      } catch (error) {
        await session.close().catch(() => undefined);
        throw error;
      }
      io.stderr.write(`tradenova: api at ${apiServer.url}/v1 (tokens: tradenova api token create)\n`);
    }
    // Opening the connections may take up to a minute (a broker it cannot reach yet is tried
    // again): a stop meanwhile ends the run there, and a terminal hears why it waits.
    const quiet = interactive ? sayConnectionTrouble(session, io, redact) : undefined;
    let outcome: 'started' | 'stopped';
    const startedAt = Date.now();
    const starting = session.engine.start();
    try {
      outcome = await Promise.race([
        starting.then(() => 'started' as const),
        Promise.race(stopTriggers).then(() => 'stopped' as const),
      ]);
    } catch (error) {
      // Which connections did not open is known only before the session closes them all.
      const explained = explainStartFailure(error, {
        config: session.config,
        plans: session.plans,
        open: session.engine.openConnections(),
        triedMs: Date.now() - startedAt,
        redact,
      });
      await session.close().catch(() => undefined);
      throw explained;
    } finally {
      quiet?.();
    }
    if (outcome === 'stopped') {
      starting.catch(() => undefined);
      await session.close().catch(() => undefined);
      io.stderr.write('tradenova: stopped while opening the broker connections; nothing was copied\n');
      return ExitCode.Ok;
    }
    if (options.afterStart) {
      const recovered = await options.afterStart();
      if (sink) sink.line(recovered);
      else io.stderr.write(`tradenova: ${redact(JSON.stringify(recovered))}\n`);
    }
    for (const url of session.webhookUrls()) io.stderr.write(`tradenova: webhook at ${redact(url)}\n`);
    const script = session.leaderScript;
    if (script) {
      if (script.script !== 'demo') {
        await session.close();
        throw new CliError(`connections.*.options.script: unknown script "${script.script}" (known: demo)`);
      }
      const leader = startDemoLeader({
        connection: session.leaderConnection,
        accountId: session.config.leader.account,
        exchanges: session.exchanges,
        engine: session.engine,
        seed: script.seed,
        onError: (e) =>
          sink?.line({ type: 'demo-error', message: redact(e instanceof Error ? e.message : String(e)) }),
      });
      session.beforeClose(() => leader.stop());
    }
    if (interactive) {
      // The Ink UI loads only here, on a TTY: the JSON path never pays for React.
      const { runDashboard } = await import('../ui/render.js');
      await runDashboard(session, { stdin, stdout: io.stdout, stop: Promise.race(stopTriggers), redact });
    } else {
      await Promise.race(stopTriggers);
      await session.close();
    }
  } finally {
    if (timer) clearTimeout(timer);
    signals?.dispose();
    await apiServer?.close();
    await metricsServer?.close();
  }
  const summary = session.ledger.summary();
  if (sink) {
    sink.line({
      type: 'session-stopped',
      time: Date.now(),
      ranMs: Date.now() - started,
      ...summary,
    });
  } else {
    io.stderr.write(
      `tradenova: stopped after ${Math.round((Date.now() - started) / 1000)} s; ${summary.intents} follower orders, ${summary.unaccounted.length} without an outcome\n`,
    );
  }
  return ExitCode.Ok;
}

/**
 * Until the dashboard draws, a terminal shows nothing of the run: say each connection that
 * could not be reached while the start waits for it. Returns the unsubscribe.
 */
function sayConnectionTrouble(session: Session, io: CommandIo, redact: (s: string) => string): () => void {
  return session.engine.on((event) => {
    if (event.type !== 'connection-status' || event.state !== 'disconnected') return;
    io.stderr.write(
      `tradenova: connection ${event.connection} (${event.broker}) not reachable yet${event.reason ? `: ${redact(event.reason)}` : ''}; trying again\n`,
    );
  });
}
