import { createWriteStream, openSync, readFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import {
  type BrokerConnection,
  type Clock,
  type EngineConfig,
  type EngineEvent,
  parseReplay,
  type ReplayInputError,
  type ReplayRecord,
  type ReplayReport,
  type ReportDetail,
  runReplay,
  SignalError,
  type SimulatedExchange,
  streamReplay,
} from '@tradenova/core';
import type { ConnectionPlan } from '@tradenova/core/engine';
import { replayFormatOf } from '@tradenova/core/replay';
import { loadConfig } from '../config/load-config.js';
import { CliError, ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { diffJson, formatDifferences, readExpectation, reproducible } from '../replay/expect.js';
import { pacedByJournal } from '../replay/journal-pace.js';
import { makeProgress } from '../replay/progress.js';
import { readLines } from '../replay/read-lines.js';
import { formatSummary } from '../replay/summary.js';
import { writeJson } from '../replay/write-json.js';
import { openReplayPriceFeed } from '../run/market-data.js';
import { redactingIo } from '../secrets/redacting-io.js';

export interface ReplayCommandOptions {
  config: string;
  json?: boolean;
  out?: string;
  expect?: string;
  strict?: boolean;
  brokers?: 'paper' | 'simulated';
  /** `--journal [location]`: record the replay's events (true: the config's `services.journal`). */
  journal?: string | boolean;
  /** `--html FILE`: also write a self-contained HTML page of the report with charts. */
  html?: string;
  /** `--detail summary`: leave the per-fill, per-event and per-order lists out of the report. */
  detail?: ReportDetail;
  /** `--progress` / `--no-progress`; undefined: on (a live line on a terminal, a line every few seconds otherwise). */
  progress?: boolean;
}

/** Something that can start broker simulators for `--brokers simulated`. */
export type SimulatedBrokers = (
  plan: ConnectionPlan,
  session: { clock: Clock; stampClock: Clock },
) => Promise<{ connection: BrokerConnection; exchange: SimulatedExchange }>;

// Kept for code written against the old home; new code imports it from ../io.js.
export type { CommandIo } from '../io.js';

/** `tradenova replay`: runs the file through the engine and returns the exit code. */
export async function replayCommand(
  file: string,
  options: ReplayCommandOptions,
  io: CommandIo,
  simulated?: {
    connect: SimulatedBrokers;
    close: () => Promise<void>;
    /** How long a record waits for the simulators to settle (wall ms; the replay's default otherwise). */
    settleTimeoutMs?: number;
  },
): Promise<number> {
  const loaded = loadConfig(options.config, { env: process.env }, { lenientReferences: true });
  // Values from ${secret:} / ${env:} references never print, whichever field they are in (an account id).
  io = redactingIo(io, loaded.secrets);
  // A bad expectation file fails before the replay spends any time.
  const expected = options.expect !== undefined ? readExpectation(options.expect) : undefined;
  // Paper mode moves every follower to the paper broker, so a config written for
  // real brokers can be dry-run as it is.
  const config =
    options.brokers === 'simulated'
      ? loaded.config
      : {
          ...loaded.config,
          followers: loaded.config.followers.map(({ connection: _c, ...f }) => ({ ...f, broker: 'paper' })),
        };
  // JSON lines stream: the session is read as it replays and never held whole. CSV (parsed as
  // one table) and --html (its charts span the whole session) read the file first.
  const streamed = replayFormatOf(file) === 'jsonl' && !options.html;
  let records: readonly ReplayRecord[] | AsyncIterable<ReplayRecord>;
  let inputErrors: ReplayInputError[];
  let bytesRead: (() => number) | undefined;
  let fileSize = 0;
  if (streamed) {
    let source: ReturnType<typeof readLines>;
    try {
      source = readLines(file);
    } catch (error) {
      throw unreadable(file, error);
    }
    if (options.strict) {
      // --strict refuses a bad file before anything runs: one validating pass first.
      try {
        for await (const _ of streamReplay(readLines(file).lines, { strict: true, onError: () => {} })) {
          // each line parsed and checked, nothing kept
        }
      } catch (error) {
        throw strictError(file, error);
      }
    }
    inputErrors = [];
    const errors = inputErrors;
    records = streamReplay(source.lines, {
      strict: options.strict ?? false,
      onError: (error) => errors.push(error),
    });
    bytesRead = source.bytesRead;
    fileSize = source.size;
  } else {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw unreadable(file, error);
    }
    try {
      const parsed = parseReplay(text, replayFormatOf(file), { strict: options.strict ?? false });
      records = parsed.records;
      inputErrors = parsed.errors;
    } catch (error) {
      throw strictError(file, error);
    }
  }
  const progress =
    options.progress === false
      ? undefined
      : makeProgress(io.stderr, { isTTY: io.stderr.isTTY === true, bytesRead, fileSize });
  let report: ReplayReport;
  const journal = options.journal ? await openReplayJournal(loaded.config, options.journal) : undefined;
  // Through the simulators, a loopback price feed carries the recorded prices too.
  const priceFeed = simulated ? await openReplayPriceFeed(config) : undefined;
  const html = options.html
    ? (await import('../replay/html/index.js')).htmlReport(config, records as ReplayRecord[], file)
    : undefined;
  // A streamed session is read no faster than the journal writes its events (bounded memory).
  if (journal && streamed) records = pacedByJournal(records as AsyncIterable<ReplayRecord>, journal.pace);
  try {
    const replayOptions: Parameters<typeof runReplay>[0] = {
      ...(priceFeed ? { priceFeed } : {}),
      ...(journal ? { onEvent: (event) => journal.append(event) } : {}),
      config,
      records,
      inputErrors,
      ...(options.detail ? { detail: options.detail } : {}),
      ...(simulated ? { connect: simulated.connect } : {}),
      ...(simulated?.settleTimeoutMs !== undefined ? { settleTimeoutMs: simulated.settleTimeoutMs } : {}),
      ...(progress ? { onProgress: progress.update, progressEvery: 500 } : {}),
    };
    report = await runReplay(html ? html.attach(replayOptions) : replayOptions);
  } catch (error) {
    if (streamed && options.strict && error instanceof SignalError && error.line !== undefined)
      throw strictError(file, error);
    if (error instanceof SignalError) throw new CliError(error.message);
    throw error;
  } finally {
    progress?.end();
    await simulated?.close();
    await priceFeed?.close();
    await journal?.close();
  }
  // Written in parts, never as one string: a full report of a huge session is gigabytes.
  const sinks: NodeJS.WritableStream[] = options.json ? [io.stdout] : [];
  const out = options.out ? createWriteStream('', { fd: openOut(options.out) }) : undefined;
  if (out) sinks.push(out);
  if (sinks.length > 0) await writeJson(report, sinks);
  if (out) {
    out.end();
    try {
      await finished(out);
    } catch (error) {
      throw new CliError(
        `cannot write ${options.out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
  if (html && options.html) html.write(options.html, report);
  if (!options.json) io.stdout.write(formatSummary(report, file));

  let exit: number = ExitCode.Ok;
  if (report.violations > 0 || report.signals.errors.length > 0) exit = ExitCode.NotClean;
  // A broker that stopped answering mid-session is an outcome of the run, not a failure to
  // start it: the report stands, the status of each affected follower says what happened.
  const unresponsive = [
    ...new Set(report.accounts.flatMap((a) => a.status.filter((s) => s.includes(' broker-unresponsive: ')))),
  ];
  // Orders a simulated broker never answered are recorded per follower; say so, and the run is not clean.
  const timedOut = report.accounts.reduce((n, a) => n + a.orders.timedOut, 0);
  const failed = report.accounts.reduce((n, a) => n + a.orders.failed, 0);
  if (simulated && timedOut + failed > 0) {
    exit = ExitCode.NotClean;
    io.stderr.write(
      `replay: ${timedOut} order${timedOut === 1 ? '' : 's'} timed out and ${failed} failed at the simulated brokers (accounts[].timedOut and failed in the report)\n`,
    );
  }
  if (unresponsive.length > 0) {
    exit = ExitCode.NotClean;
    io.stderr.write(
      `replay: a simulated broker stopped answering; the report records how its orders ended:\n${unresponsive.map((s) => `  ${s}`).join('\n')}\n`,
    );
  }
  if (options.strict && report.signals.errors.length > 0) {
    const first = report.signals.errors[0]!;
    throw new CliError(`${file}:${first.line}: ${first.field}: ${first.message} (--strict)`);
  }
  if (options.expect && expected !== undefined) {
    // Through the simulators, what no run can reproduce is left out of both sides.
    const simulatedRun = report.latency.clock === 'wall';
    const diffs = diffJson(
      reproducible(expected, simulatedRun),
      reproducible(JSON.parse(JSON.stringify(report)), simulatedRun),
    );
    if (diffs.length > 0) {
      io.stderr.write(
        `replay differs from ${options.expect} in ${diffs.length} place(s):\n${formatDifferences(diffs)}\n`,
      );
      exit = ExitCode.NotClean;
    } else if (!options.json) {
      io.stdout.write(`Matches ${options.expect}\n`);
    }
  }
  return exit;
}

/** Opens `--out` now, so a path that cannot be written fails with its reason before any of it is written. */
function openOut(file: string): number {
  try {
    return openSync(file, 'w');
  } catch (error) {
    throw new CliError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function unreadable(file: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  return new CliError(
    code === 'ENOENT' ? `file not found: ${file}` : `cannot read signals ${file}: ${code ?? String(error)}`,
  );
}

function strictError(file: string, error: unknown): unknown {
  if (!(error instanceof SignalError)) return error;
  return new CliError(
    `${file}:${error.line ?? 0}: ${error.field}: ${error.reason} (--strict stops at the first bad line)`,
  );
}

/** The journal a `replay --journal` records to (opened like a run's, migrated when embedded). */
async function openReplayJournal(config: EngineConfig, flag: string | boolean) {
  const { resolve } = await import('node:path');
  const { Journal, lockJournalDir, parseJournalLocation } = await import('../services/journal/index.js');
  const location = parseJournalLocation(typeof flag === 'string' ? flag : config.services.journal.url);
  const release = 'dir' in location ? lockJournalDir(resolve(location.dir)) : () => {};
  try {
    const journal = await Journal.open(
      'url' in location
        ? {
            url: location.url,
            ...(config.services.journal.schema ? { schema: config.services.journal.schema } : {}),
          }
        : location,
    );
    return {
      append: (event: EngineEvent) => journal.append(event),
      pace: journal,
      close: async () => {
        try {
          await journal.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
