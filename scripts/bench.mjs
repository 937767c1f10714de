// Runs every benchmark in turn (`npm run bench`, `./tn bench`). With --json each bench's readable
// lines go to stderr and stdout gets one JSON document with every figure, for a CI job to keep a
// trend: {"node", "time", "loadavg", "cpus", "benches": [{"bench", "figures": {…}}]}.
// Stops at the first bench that fails, as the chained npm script did. --only=WORD[,WORD] picks benches.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const json = process.argv.includes('--json');
// --only=WORD runs the benches whose file path contains WORD (comma-separated for several).
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const BENCHES = [
  ['packages/core/bench/run.mjs'],
  ['packages/core/bench/state.mjs', '--lines', '200000'],
  ['packages/adapter-tradovate/bench/roundtrip.mjs'],
  ['packages/adapter-projectx/bench/roundtrip.mjs'],
  ['packages/adapter-rithmic/bench/roundtrip.mjs'],
  ['packages/adapter-others/bench/ninjatrader-roundtrip.mjs'],
  ['packages/adapter-others/bench/sierrachart-roundtrip.mjs'],
  ['packages/adapter-others/bench/fix-roundtrip.mjs'],
  ['packages/adapter-others/bench/dxfeed-mark.mjs'],
  ['packages/cli/bench/journal.bench.mjs', '--runs', '3'],
  ['packages/cli/bench/kafka.bench.mjs', '--rates', '5,10,25,35,50'],
  ['packages/cli/bench/failover.bench.mjs'],
  ['packages/cli/bench/replay.bench.mjs'],
  ['packages/cli/bench/api-stream.bench.mjs'],
];

const started = new Date().toISOString();
const load = loadavg();
const benches = [];
let failed = 0;
for (const [file, ...args] of BENCHES.filter(([f]) => !only || only.some((w) => f.includes(w)))) {
  const child = spawn(process.execPath, [join(root, file), ...args], {
    cwd: root,
    env: json ? { ...process.env, TRADENOVA_BENCH_JSON: '1' } : process.env,
    stdio: ['ignore', json ? 'pipe' : 'inherit', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) {
    failed = code ?? 1;
    benches.push({ bench: file, error: `exited ${code}` });
    break;
  }
  if (json) {
    const line = out.trim().split('\n').at(-1);
    benches.push(line ? { file, ...JSON.parse(line) } : { bench: file, figures: {} });
  }
}
if (json) {
  console.log(
    JSON.stringify(
      { node: process.version, time: started, loadavg: load, cpus: cpus().length, benches },
      null,
      2,
    ),
  );
}
process.exit(failed);
