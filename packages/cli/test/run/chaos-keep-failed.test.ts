import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChaosSummary, chaosCommand } from '../../src/commands/chaos.js';
import { captureIo } from '../capture-io.js';

const demo = fileURLToPath(new URL('../../../../examples/demo.yaml', import.meta.url));

/**
 * `chaos --keep-failed <dir>` keeps a failed run's folder for its post-mortem. The copier here
 * is a stand-in that refuses its config (exit 2), which makes the run fail the same way every
 * time; everything else (the simulators, the run's folder and journal) is the real thing.
 */
describe('tradenova chaos --keep-failed', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("keeps a failed run's folder under seed-<seed> and names it in the summary", async () => {
    const root = await mkdtemp(join(tmpdir(), 'tn-keep-failed-'));
    dirs.push(root);
    const bin = join(root, 'refusing-copier.mjs');
    await writeFile(
      bin,
      "process.stderr.write('tradenova: config.yaml:1:1: refused by the stand-in copier\\n'); process.exit(2);\n",
    );
    const keep = join(root, 'kept');
    const { io, stdout } = captureIo();
    const code = await chaosCommand(
      { config: demo, runs: 1, seed: 5, duration: 1, faults: 'kill9', json: true, keepFailed: keep },
      io,
      bin,
    );
    expect(code).toBe(1);
    const summary = JSON.parse(stdout().trim().split('\n').at(-1)!) as ChaosSummary;
    expect(summary.failures).toHaveLength(1);
    const failure = summary.failures[0]!;
    expect(failure.details.join('\n')).toContain('refused by the stand-in copier');
    expect(failure.kept).toBe(join(keep, `seed-${failure.seed}`));
    // The evidence: the config the copier was given, its journal, and what it wrote on stderr.
    const kept = await readdir(failure.kept!);
    expect(kept).toEqual(
      expect.arrayContaining(['config.yaml', 'journal', 'copier.stderr', 'exchanges.json']),
    );
    expect(await readFile(join(failure.kept!, 'copier.stderr'), 'utf8')).toContain(
      'refused by the stand-in copier',
    );
  }, 120_000);
});
