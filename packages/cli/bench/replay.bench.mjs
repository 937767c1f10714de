// `tradenova replay` of big sessions: peak RSS and intents/s of the real CLI process, beside the
// engine's own replay figure (the one `./tn bench` prints) measured in the same run.
//   node packages/cli/bench/replay.bench.mjs [--lines 100000,1000000] [--detail summary|full]
// (TRADENOVA_BENCH_JSON=1 for one JSON line of figures, as `./tn bench --json` collects them)
// Sessions are the example session repeated with new ids and times (scripts/make-session.mjs),
// made once into the temp dir. Intents are placed + blocked + rejected over every account, as
// the engine figure counts them; the time is the CLI process's wall time, start-up included.
// `tradenova replay` relaunches itself with V8 heap flags (src/relaunch.ts): peak RSS is the larger
// of the two processes' (the parent is a bare node process waiting), CPU their sum.
// TRADENOVA_NO_RELAUNCH=1 measures the replay in one process with V8's defaults.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { figure } from '../../../scripts/bench-figures.mjs';
import { engineReplayFigure } from '../../core/bench/replay-kit.mjs';
import { readUsage } from './rss-hook.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const BIN = join(here, '..', 'dist', 'bin.js');
const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '100000' },
    detail: { type: 'string', default: 'summary' },
    config: { type: 'string', default: join(root, 'examples', 'paper.yaml') },
    'core-up-to': { type: 'string', default: '1000000' },
  },
});
const log = (...a) => console.log(...a);

function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
}

async function session(lines) {
  const file = join(tmpdir(), `tradenova-bench-session-${lines}.jsonl`);
  if (!existsSync(file)) {
    const made = await run(process.execPath, [
      join(root, 'scripts', 'make-session.mjs'),
      '--lines',
      String(lines),
      '--out',
      file,
    ]);
    if (made.code !== 0) throw new Error(made.stderr);
  }
  return file;
}

async function cliReplay(file) {
  const rssFile = join(tmpdir(), `tradenova-bench-rss-${process.pid}`);
  rmSync(rssFile, { force: true });
  const t0 = performance.now();
  const r = await run(
    process.execPath,
    [
      '--import',
      join(here, 'rss-hook.mjs'),
      BIN,
      'replay',
      file,
      '-c',
      values.config,
      '--json',
      '--detail',
      values.detail,
      '--no-progress',
    ],
    { TRADENOVA_BENCH_RSS_FILE: rssFile },
  );
  const ms = performance.now() - t0;
  // 0 clean, 1 not clean (risk blocks are part of the example): anything else is a failure.
  if (r.code !== 0 && r.code !== 1) throw new Error(`replay exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const report = JSON.parse(r.stdout);
  const usage = readUsage(rssFile);
  rmSync(rssFile, { force: true });
  const intents = report.accounts.reduce(
    (s, a) => s + a.orders.placed + a.orders.blocked + a.orders.rejected,
    0,
  );
  return {
    records: report.input.records,
    intents,
    ms,
    perSecond: intents / (ms / 1000),
    // On a shared machine the process may get a fraction of a core: per CPU second is the steadier figure.
    perCpuSecond: intents / (usage.cpuMs / 1000),
    cpuMs: usage.cpuMs,
    userCpuMs: usage.userMs,
    // 2 when the CLI relaunched itself with heap flags (bin.ts): the peak is the larger one's.
    processes: usage.processes,
    heapFlags: usage.heapFlags,
    peakRssMb: usage.maxRssKb / 1024,
  };
}

/**
 * The same session and config through `runReplay` alone in a fresh process (replay-core.mjs):
 * its peak RSS is the engine's share of the CLI's, its intents per CPU second what the CLI
 * could reach at best. With the heap flags the CLI's replay ran with, so the two compare.
 */
async function coreReplay(file, heapFlags) {
  const rssFile = join(tmpdir(), `tradenova-bench-rss-core-${process.pid}`);
  rmSync(rssFile, { force: true });
  const r = await run(
    process.execPath,
    [
      ...heapFlags,
      '--import',
      join(here, 'rss-hook.mjs'),
      join(here, 'replay-core.mjs'),
      file,
      values.config,
    ],
    { TRADENOVA_BENCH_RSS_FILE: rssFile },
  );
  if (r.code !== 0) throw new Error(`core replay exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const { intents, ms } = JSON.parse(r.stdout.trim().split('\n').at(-1));
  const usage = readUsage(rssFile);
  rmSync(rssFile, { force: true });
  return {
    intents,
    ms,
    perSecond: intents / (ms / 1000),
    perCpuSecond: intents / (usage.cpuMs / 1000),
    peakRssMb: usage.maxRssKb / 1024,
  };
}

const sizes = values.lines.split(',').map(Number);
log(
  `Replay at scale — node ${process.version}, load average ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const engine = await engineReplayFigure();
log(
  `   engine replay (./tn bench figure): ${Math.round(engine.perSecond).toLocaleString('en-US')} intents/s (median of 3; 20 followers × ${engine.signals} signals)`,
);
const results = [];
for (const lines of sizes) {
  const file = await session(lines);
  const r = await cliReplay(file);
  // The engine alone on the same input: skipped past --core-up-to lines to keep the bench short.
  const same = lines <= Number(values['core-up-to']) ? await coreReplay(file, r.heapFlags) : undefined;
  results.push({
    lines,
    ...r,
    ratioToEngine: r.perSecond / engine.perSecond,
    ...(same
      ? {
          corePeakRssMb: same.peakRssMb,
          cliOverCorePeakRssMb: r.peakRssMb - same.peakRssMb,
          sameInputCorePerSecond: same.perSecond,
          sameInputCorePerCpuSecond: same.perCpuSecond,
          ratioToSameInputPerCpuSecond: r.perCpuSecond / same.perCpuSecond,
        }
      : {}),
  });
  log(
    `   tradenova replay ${lines.toLocaleString('en-US')} lines (--detail ${values.detail}, ${values.config.split('/').pop()}): peak RSS ${r.peakRssMb.toFixed(0)} MB (${r.processes === 2 ? 'relaunched' : 'one process'}), ${Math.round(r.perSecond).toLocaleString('en-US')} intents/s (${r.intents.toLocaleString('en-US')} intents in ${(r.ms / 1000).toFixed(1)} s; ${Math.round(r.perCpuSecond).toLocaleString('en-US')} per CPU second) = ${(r.perSecond / engine.perSecond).toFixed(2)}× the engine figure`,
  );
  if (same)
    log(
      `      the same session and config through runReplay alone (own process): peak RSS ${same.peakRssMb.toFixed(0)} MB (the CLI adds ${(r.peakRssMb - same.peakRssMb).toFixed(0)} MB), ${Math.round(same.perSecond).toLocaleString('en-US')} intents/s (${Math.round(same.perCpuSecond).toLocaleString('en-US')} per CPU second) → the CLI reaches ${(r.perCpuSecond / same.perCpuSecond).toFixed(2)}× it per CPU second`,
    );
}
figure('replay-cli', { engineIntentsPerSecond: engine.perSecond, detail: values.detail, sessions: results });
