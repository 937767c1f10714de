#!/usr/bin/env node
// npm run verify -- --sessions N --seed S [--features all|ci] [--out DIR]
// Runs N random copy-trading sessions through the engine and the reference model
// (packages/core/test/reference) and prints sessions, leader events, violations by
// kind and the time taken. A violation is shrunk to signals.jsonl + config.yaml in a
// folder (printed) that `./tn replay <folder>/signals.jsonl -c <folder>/config.yaml` replays.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    features: { type: 'string', default: 'all' },
    out: { type: 'string', default: join(root, '.tradenova', 'counterexamples') },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run verify -- --sessions N --seed S [--features all|ci] [--out DIR]');
  process.exit(0);
}
for (const name of ['sessions', 'seed']) {
  if (!/^\d+$/.test(values[name])) {
    console.error(`verify: --${name} must be a whole number, got ${JSON.stringify(values[name])}`);
    process.exit(2);
  }
}
if (!['all', 'ci'].includes(values.features)) {
  console.error(`verify: --features must be all or ci, got ${JSON.stringify(values.features)}`);
  process.exit(2);
}
const scratch = mkdtempSync(join(tmpdir(), 'tn-verify-'));
const summary = join(scratch, 'summary.json');
const run = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '-c',
    'packages/core/test/reference/vitest.verify.config.ts',
  ],
  {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      TN_VERIFY_SESSIONS: values.sessions,
      TN_VERIFY_SEED: values.seed,
      TN_VERIFY_FEATURES: values.features,
      TN_VERIFY_OUT: resolve(values.out),
      TN_VERIFY_SUMMARY: summary,
    },
  },
);
let result;
try {
  result = JSON.parse(readFileSync(summary, 'utf8'));
} catch {
  console.error(`verify: the run ended (exit ${run.status}) without a summary`);
  process.exit(2);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(result.text);
process.exit(result.failedSessions > 0 ? 1 : 0);
