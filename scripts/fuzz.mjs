#!/usr/bin/env node
// npm run fuzz -- [--runs N] [--seed S]: every fuzz suite (packages/*/test/fuzz) with N cases each
// (2,000 by default, as CI runs them), then one line per suite and the totals.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '2000' }, seed: { type: 'string' } },
  allowPositionals: true,
});
const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 1) {
  console.error(`--runs ${values.runs}: a positive whole number`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'tn-fuzz-'));
const report = join(dir, 'report.jsonl');
const env = { ...process.env, TN_FUZZ_RUNS: String(runs), TN_FUZZ_REPORT: report };
if (values.seed !== undefined) env.TN_FUZZ_SEED = values.seed;
const started = Date.now();
// One vitest run over the fuzz folders; long runs need long test timeouts.
const result = spawnSync(
  'npx',
  ['vitest', 'run', '--testTimeout', String(Math.max(20_000, runs * 20)), '/test/fuzz/'],
  { stdio: 'inherit', env },
);
let lines = [];
try {
  lines = readFileSync(report, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
} catch {}
rmSync(dir, { recursive: true, force: true });
const total = lines.reduce((n, l) => n + l.runs, 0);
const failures = lines.reduce((n, l) => n + l.failures, 0);
console.log('\nsuite                          cases    crashes  seconds');
for (const l of lines) {
  console.log(
    `${l.suite.padEnd(30)} ${String(l.runs).padStart(8)} ${String(l.failures).padStart(8)} ${(l.ms / 1000).toFixed(1).padStart(8)}`,
  );
}
console.log(
  `${lines.length} suites, ${total} cases, ${failures} crashes, seed ${lines[0]?.seed ?? '?'}, ${((Date.now() - started) / 1000).toFixed(0)} s in all`,
);
process.exit(result.status ?? 1);
