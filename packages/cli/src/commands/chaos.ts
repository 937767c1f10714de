import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { FAULT_KINDS, type FaultKind, parseFaultList, planRun, runSeed } from '../chaos/plan.js';
import { chaosRun, journalTemplate, type RunResult } from '../chaos/run.js';
import { loadConfig } from '../config/load-config.js';
import { CliError, ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';

/** Flags of `tradenova chaos`. */
export interface ChaosOptions {
  config: string;
  runs?: number;
  seed?: number;
  /** Seconds of leader session per run. */
  duration?: number;
  faults?: string;
  json?: boolean;
  /** Runs in flight at once (default 1). */
  parallel?: number;
  /** A folder to keep each failed run's evidence in, one `seed-<seed>` folder per run. */
  keepFailed?: string;
}

/** The JSON summary `chaos --json` prints. */
export interface ChaosSummary {
  runs: number;
  seed: number;
  faults: { kind: FaultKind; count: number }[];
  duplicates: number;
  lost: number;
  drift: number;
  /** Followers no run could check at a broker (paper), by name. */
  unchecked: string[];
  /** What happened on the way that is not a failure (a copier start refused and retried). */
  notes: string[];
  failures: {
    seed: number;
    replay: string;
    duplicates: number;
    lost: number;
    drift: number;
    faults: FaultKind[];
    details: string[];
    /** Where the run's folder was kept (`--keep-failed`): config, journal, copier lines, exchanges. */
    kept?: string;
  }[];
  ms: number;
}

/**
 * `tradenova chaos -c config.yaml`: proves the copier's guarantees on the user's own
 * followers. Each run hosts the followers' broker simulators, starts `tradenova run` as a
 * child, drives a generated leader session, injects faults at random points, settles and
 * checks at the simulators and in the journal (see docs/reliability.md). Exit 1 when any
 * duplicate, lost order or drift was found.
 */
export async function chaosCommand(
  options: ChaosOptions,
  io: CommandIo,
  bin = process.argv[1],
): Promise<number> {
  if (!bin) throw new CliError('chaos: cannot find the tradenova binary to start the copier with');
  const kinds = (() => {
    try {
      return parseFaultList(options.faults);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  })();
  const loaded = loadConfig(options.config, { env: process.env }, { lenientReferences: true });
  const runs = options.runs ?? 10;
  const seed = options.seed ?? Math.floor(Math.random() * 1_000_000);
  const durationMs = Math.round((options.duration ?? 12) * 1000);
  const started = Date.now();
  const summary: ChaosSummary = {
    runs: 0,
    seed,
    faults: [],
    duplicates: 0,
    lost: 0,
    drift: 0,
    unchecked: [],
    notes: [],
    failures: [],
    ms: 0,
  };
  const counts = new Map<FaultKind, number>();
  const progress = (text: string) => {
    if (!options.json) io.stdout.write(`${text}\n`);
  };
  progress(
    `chaos: ${runs} run(s) of ${durationMs / 1000} s on ${options.config}, seed ${seed}, faults ${kinds.join(', ')}`,
  );
  // A simulator that fails in its own code must not take the whole session down: it is a
  // finding of the runs in flight when it happened.
  const inFlight = new Set<string[]>();
  const onStray = (error: unknown) => {
    for (const strays of inFlight)
      strays.push(`a simulator failed: ${error instanceof Error ? error.message : String(error)}`);
  };
  process.on('unhandledRejection', onStray);
  const template = await journalTemplate();
  const parallel = Math.max(1, Math.min(options.parallel ?? 1, runs));

  const keepIn = options.keepFailed === undefined ? undefined : resolve(options.keepFailed);
  if (keepIn) await mkdir(keepIn, { recursive: true });

  const runOne = async (r: number): Promise<{ s: number; result: RunResult; kept?: string }> => {
    const s = runSeed(seed, r);
    // With --keep-failed this command owns the run's folder, to keep it when the run fails.
    const dir = keepIn ? await mkdtemp(join(tmpdir(), 'tn-chaos-')) : undefined;
    const strays: string[] = [];
    inFlight.add(strays);
    const plan = planRun(s, { durationMs, kinds });
    const tag = parallel > 1 ? `[${r + 1}] ` : '';
    progress(`run ${r + 1}/${runs} (seed ${s})`);
    let result: RunResult;
    try {
      result = await chaosRun({
        bin,
        configFile: options.config,
        config: loaded.config,
        plan,
        log: (text) => progress(`${tag}${text}`),
        journalTemplate: template.dir,
        dir,
      });
    } catch (error) {
      // A run that could not even be carried out is a failure with its seed, not a crash of the command.
      result = {
        seed: s,
        faults: [],
        duplicates: 0,
        lost: 0,
        drift: 0,
        unchecked: [],
        details: [`run failed: ${error instanceof Error ? error.message : String(error)}`],
        ms: 0,
      };
    } finally {
      inFlight.delete(strays);
    }
    result.details.push(...strays.map((d) => `run failed: ${d}`));
    if (!dir || !keepIn) return { s, result };
    let kept: string | undefined;
    if (runFailed(result)) {
      kept = join(keepIn, `seed-${s}`);
      await rm(kept, { recursive: true, force: true });
      await cp(dir, kept, { recursive: true });
    }
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    return { s, result, kept };
  };

  const record = ({ s, result, kept }: { s: number; result: RunResult; kept?: string }, r: number) => {
    summary.runs++;
    for (const k of result.faults) counts.set(k, (counts.get(k) ?? 0) + 1);
    summary.duplicates += result.duplicates;
    summary.lost += result.lost;
    summary.drift += result.drift;
    summary.unchecked = result.unchecked;
    for (const d of result.details)
      if (d.startsWith('note: ') && summary.notes.length < 20) summary.notes.push(`seed ${s}: ${d.slice(6)}`);
    const failed = runFailed(result);
    if (failed) {
      summary.failures.push({
        seed: s,
        replay: `tradenova chaos -c ${options.config} --runs 1 --seed ${s} --duration ${durationMs / 1000} --faults ${kinds.join(',')}`,
        duplicates: result.duplicates,
        lost: result.lost,
        drift: result.drift,
        faults: result.faults,
        details: result.details.slice(0, 20),
        ...(kept ? { kept } : {}),
      });
    }
    progress(
      `  ${parallel > 1 ? `[${r + 1}] ` : ''}${failed ? 'FAILED' : 'ok'}: duplicates ${result.duplicates}, lost ${result.lost}, drift ${result.drift}, faults ${result.faults.join(', ') || 'none'} (${Math.round(result.ms / 1000)} s)`,
    );
    if (failed) for (const d of result.details.slice(0, 10)) progress(`    ${d}`);
    if (kept) progress(`    kept in ${kept}`);
  };

  try {
    // Runs share nothing (each hosts its own simulators on free ports, its own copier and
    // journal), so several can be in flight; most of a run is waiting on its faults.
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        for (let r = next++; r < runs; r = next++) record(await runOne(r), r);
      }),
    );
  } finally {
    process.off('unhandledRejection', onStray);
    await template.remove();
  }
  summary.faults = FAULT_KINDS.filter((k) => counts.has(k)).map((kind) => ({
    kind,
    count: counts.get(kind)!,
  }));
  summary.ms = Date.now() - started;
  if (options.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    progress(
      `chaos: ${summary.runs} runs, ${summary.faults.map((f) => `${f.kind} ×${f.count}`).join(', ')}; duplicates ${summary.duplicates}, lost ${summary.lost}, drift ${summary.drift}`,
    );
    if (summary.unchecked.length > 0)
      progress(`  not checked at a broker (paper lives in the copier): ${summary.unchecked.join(', ')}`);
    for (const f of summary.failures) progress(`  replay: ${f.replay}`);
  }
  return summary.failures.length > 0 ? 1 : ExitCode.Ok;
}

/** A run failed when it found a duplicate, a lost order or drift, or could not be carried out or settled. */
function runFailed(result: RunResult): boolean {
  return (
    result.duplicates + result.lost + result.drift > 0 ||
    result.details.some(
      (d) =>
        d.startsWith('run failed') ||
        d.startsWith('the copier exited') ||
        d.includes('still being brought back'),
    )
  );
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number above 0');
  return n;
}

function whole(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number');
  return n;
}

/** Registers `chaos` on the program. */
export function registerChaosCommand(program: Command, io: CommandIo, result: { exitCode: number }): void {
  program
    .command('chaos')
    .description(
      "prove the copier's guarantees on a config: runs with injected faults, then checks for duplicates, lost orders and drift",
    )
    .requiredOption('-c, --config <file>', 'config YAML')
    .option('--runs <n>', 'how many runs (default 10)', whole)
    .option(
      '--seed <n>',
      'seed of the first run (random otherwise); a failure prints the seed that replays it',
      whole,
    )
    .option('--duration <seconds>', 'leader session per run (default 12)', positive)
    .option('--faults <list>', `comma-separated: ${FAULT_KINDS.join(', ')} (default all)`)
    .option(
      '--parallel <n>',
      'runs in flight at once (default 1; each hosts its own simulators and copier)',
      whole,
    )
    .option(
      '--keep-failed <dir>',
      "keep each failed run's folder (config, journal, copier lines, broker orders) in <dir>/seed-<seed>",
    )
    .option('--json', 'one JSON summary line instead of progress')
    .action(async (opts: ChaosOptions) => {
      result.exitCode = await chaosCommand(opts, io);
    });
}
