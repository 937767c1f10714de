/**
 * The engine against the reference model on random sessions (fast-check), in CI:
 * a bounded run with every generator feature on except those of the known defects
 * (known-defects.ts). A failure is shrunk and written as signals.jsonl + config.yaml
 * that `./tn replay` accepts; the message names the folder.
 */
import { describe, expect, it } from 'vitest';
import { featuresWithout } from './known-defects.js';
import { formatResult, verify } from './verify.js';

const SESSIONS = Number(process.env.TN_ORACLE_SESSIONS ?? 400);
const SEED = Number(process.env.TN_ORACLE_SEED ?? 20251124);

describe('copy engine against the reference model', () => {
  it(`${SESSIONS} random sessions: exact followers exact, flat where the leader is flat, one outcome per follower, same bytes twice`, async () => {
    const result = await verify({ sessions: SESSIONS, seed: SEED, features: featuresWithout() });
    expect(result.sessions).toBe(SESSIONS);
    // The generator must reach the engine with real work, not empty sessions.
    expect(result.events).toBeGreaterThan(SESSIONS * 5);
    expect(result.violations, formatResult(result, SEED)).toEqual({});
  }, 300_000);
});
