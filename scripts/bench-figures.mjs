// What lets every benchmark print its figures machine-readably (`./tn bench --json`): with
// TRADENOVA_BENCH_JSON=1 (scripts/bench.mjs sets it) the bench's readable lines go to stderr
// and, as it exits, one JSON line goes to stdout: {"bench": file name, "figures": {…}}.
// Without it nothing changes. Figures are plain numbers in ms, per second or MB as named.
import { writeSync } from 'node:fs';
import { basename } from 'node:path';

export const benchJson = process.env.TRADENOVA_BENCH_JSON === '1';
const figures = {};

/** Records one figure (an object of numbers and short strings) under `name`. */
export function figure(name, values) {
  figures[name] = values;
}

if (benchJson) {
  console.log = (...args) => console.error(...args);
  process.on('exit', (code) => {
    if (code === 0)
      writeSync(1, `${JSON.stringify({ bench: basename(process.argv[1] ?? 'bench'), figures })}\n`);
  });
}
