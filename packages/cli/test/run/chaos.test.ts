import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, BUILT } from '../services/cli-process.js';

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const demo = at('../../../../examples/demo.yaml');
const projectx = at('../../../../examples/projectx.yaml');
const sharedLogins = at('../fixtures/chaos-shared-logins.yaml');
const sixBrokers = at('../../../../examples/chaos-six-brokers.yaml');

interface Summary {
  runs: number;
  faults: { kind: string; count: number }[];
  duplicates: number;
  lost: number;
  drift: number;
  failures: unknown[];
}

/** `tradenova chaos` through the built CLI exactly as a trader runs it; its one JSON line. */
function chaos(config: string, args: string[]): { summary: Summary; status: number | null; output: string } {
  const r = spawnSync(process.execPath, [BIN, 'chaos', '-c', config, ...args, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 420_000,
  });
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Summary;
  return { summary, status: r.status, output: r.stdout + r.stderr };
}

const ALL = 'kill9,sigterm,sim-restart,cut-sockets,token-expiry,rate-limit';

/**
 * The bounded chaos set of CI: two short runs of the demo config with a fixed seed (at least
 * three fault kinds), then the runs that found copy-correctness bugs, replayed by their seeds.
 * The long runs are `npm run chaos` (docs/reliability.md).
 */
describe.skipIf(!BUILT)('tradenova chaos', () => {
  it('examples/demo.yaml, 2 runs with faults: no duplicate, nothing lost, no drift', () => {
    const keep = mkdtempSync(join(tmpdir(), 'tn-chaos-kept-'));
    const { summary, status, output } = chaos(demo, [
      ...['--runs', '2', '--seed', '11', '--duration', '6'],
      ...['--keep-failed', keep],
    ]);
    expect(summary.failures, output).toEqual([]);
    // --keep-failed keeps failed runs only: nothing here.
    expect(readdirSync(keep)).toEqual([]);
    rmSync(keep, { recursive: true, force: true });
    expect(summary).toMatchObject({ runs: 2, duplicates: 0, lost: 0, drift: 0 });
    expect(summary.faults.length).toBeGreaterThanOrEqual(3);
    expect(status).toBe(0);
  }, 450_000);

  // Runs that found copy-correctness bugs on 2026-12-06, replayed by their seeds
  // (docs/reliability.md, "Found and fixed"): config, seed, session length, what was fixed.
  const found: [config: string, seed: string, duration: string, fixed: string][] = [
    [sharedLogins, '3061121695', '10', 'a copy re-planned before a kill -9 is adopted, not placed again'],
    [sharedLogins, '3643453473', '10', 'a re-planned copy of another shape is replaced under a fresh id'],
    [projectx, '3241022342', '8', 'a firm never blocks resting copies; no fill overtakes its signal'],
    [sixBrokers, '679575618', '6', 'a re-planned leg never repeats an earlier run’s id'],
    [sixBrokers, '3753187035', '6', 'accounts of a firm reverse together at recovery'],
    [sixBrokers, '2250667160', '6', 'a FIX order waits for the logon’s read-back of positions'],
    [sixBrokers, '2786482074', '6', 'a copy found only cancelled is placed again under a fresh id'],
    [sixBrokers, '2506510289', '6', 'a copy an earlier recovery placed is adopted, not placed again'],
    [sixBrokers, '754773374', '6', 'a copy the firm rule blocked behind a lagging account is aligned'],
    [sixBrokers, '31367982', '6', 'a start-up alignment a rate limit refused stays an alignment'],
    [sixBrokers, '8210866', '6', 'a fill polled while the ProjectX hub is down names its intent'],
    [sixBrokers, '95407865', '6', 'an alignment needed again gets an order of its own'],
  ];
  for (const [config, seed, duration, fixed] of found)
    it(`${config.split('/').at(-1)}, seed ${seed}: ${fixed}`, () => {
      const { summary, output } = chaos(config, [
        '--runs',
        '1',
        '--seed',
        seed,
        '--duration',
        duration,
        '--faults',
        ALL,
      ]);
      expect(summary.failures, output).toEqual([]);
      expect(summary).toMatchObject({ runs: 1, duplicates: 0, lost: 0, drift: 0 });
    }, 450_000);
});
