/**
 * The long run behind `npm run verify` (scripts/verify.mjs starts it through
 * vitest with vitest.verify.config.ts; not part of the normal test suite).
 * Settings come from the environment: TN_VERIFY_SESSIONS, TN_VERIFY_SEED,
 * TN_VERIFY_FEATURES (`all`: every feature; `ci`: without the known defects),
 * TN_VERIFY_OUT (counterexample folder) and TN_VERIFY_SUMMARY (where the
 * printed summary is written for the script).
 */
import { writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { featuresWithout } from './known-defects.js';
import { DEFAULT_OUT, formatResult, verify } from './verify.js';

const sessions = Number(process.env.TN_VERIFY_SESSIONS ?? 1000);
const seed = Number(process.env.TN_VERIFY_SEED ?? Date.now() % 1_000_000);
const features = process.env.TN_VERIFY_FEATURES === 'ci' ? featuresWithout() : {};

it(`verify: ${sessions} sessions, seed ${seed}`, async () => {
  const result = await verify({ sessions, seed, features, outDir: process.env.TN_VERIFY_OUT ?? DEFAULT_OUT });
  const text = formatResult(result, seed);
  if (process.env.TN_VERIFY_SUMMARY) {
    writeFileSync(process.env.TN_VERIFY_SUMMARY, `${JSON.stringify({ text, ...result })}\n`);
  }
  expect(result.sessions).toBe(sessions);
}, 86_400_000);
