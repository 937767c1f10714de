// The engine's state over a long session: the live heap (after a full collection) at checkpoints
// of a streamed `runReplay` of the example session repeated with new ids and times
// (examples/paper.yaml, 20 followers, --detail summary), and its growth per 1,000 lines over the
// second half of the session (the first fills the engine's bounded windows). Flat means the
// engine forgets what is finished.
//   node packages/core/bench/state.mjs [--lines 200000] [--every 50000]
// (TRADENOVA_BENCH_JSON=1 for one JSON line of figures, as `./tn bench --json` collects them)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseEngineConfig, runReplay, streamReplay } from '@tradenova/core';
import { parse as parseYaml } from 'yaml';
import { figure } from '../../../scripts/bench-figures.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values } = parseArgs({
  options: { lines: { type: 'string', default: '200000' }, every: { type: 'string', default: '50000' } },
});
const lines = Number(values.lines);
const every = Number(values.every);
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

/** The example session's lines, repeated with new ids and times (as scripts/make-session.mjs writes them). */
async function* session() {
  const template = readFileSync(join(root, 'examples', 'signals', 'session.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('//'))
    .map((l) => JSON.parse(l));
  const timeOf = (r) => (typeof r.time === 'number' ? r.time : Date.parse(r.time));
  const first = timeOf(template[0]);
  const span = timeOf(template.at(-1)) - first + 5 * 60_000;
  let written = 0;
  for (let copy = 0; written < lines; copy++) {
    for (const record of template) {
      if (written === lines) return;
      const line = { ...record, time: new Date(timeOf(record) + copy * span).toISOString() };
      if (typeof line.signalId === 'string') line.signalId = `${line.signalId}.${copy}`;
      if (typeof line.leaderOrderId === 'string') line.leaderOrderId = `${line.leaderOrderId}.${copy}`;
      yield JSON.stringify(line);
      written++;
    }
  }
}

const config = parseEngineConfig(parseYaml(readFileSync(join(root, 'examples', 'paper.yaml'), 'utf8')));
const marks = [];
const started = performance.now();
console.log(
  `Engine state over a long session — node ${process.version}, ${lines.toLocaleString('en-US')} lines`,
);
await runReplay({
  config,
  records: streamReplay(session(), { onError: () => {} }),
  detail: 'summary',
  progressEvery: every,
  onProgress: (done) => {
    if (marks.at(-1)?.lines === done) return;
    gc();
    const heapMb = process.memoryUsage().heapUsed / 1048576;
    marks.push({ lines: done, heapMb });
    console.log(
      `   ${done.toLocaleString('en-US').padStart(9)} lines: live heap ${heapMb.toFixed(1)} MB (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  },
});
const first = marks[Math.floor((marks.length - 1) / 2)];
const last = marks.at(-1);
const perThousand =
  last.lines > first.lines ? ((last.heapMb - first.heapMb) * 1000) / (last.lines - first.lines) : 0;
console.log(
  `   growth past ${first.lines.toLocaleString('en-US')} lines: ${perThousand.toFixed(3)} MB per 1,000 lines; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
figure('engine-state', {
  lines,
  midHeapMb: first.heapMb,
  lastHeapMb: last.heapMb,
  growthMbPer1kLines: perThousand,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
});
