/**
 * Shrunk counterexamples, kept as the files `./tn replay` reads: each folder under
 * regressions/ holds signals.jsonl and config.yaml and is checked against the
 * reference model with every check on. A folder named after a defect still in
 * KNOWN_DEFECTS must still fail (so a fix is noticed); every other must pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALL_FEATURES } from './generator.js';
import { formatViolation, runSession } from './harness.js';
import { DEFECT_FEATURES, featuresWithout, KNOWN_DEFECTS } from './known-defects.js';

const DIR = join(import.meta.dirname, 'regressions');

/** `exit-cancel--partial-exit` → `exit-cancel`. */
const defectOf = (folder: string) => folder.split('--')[0]!;

describe('regression files against the reference model', () => {
  const folders = readdirSync(DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

  it('has a counterexample for every defect id', () => {
    for (const id of Object.keys(DEFECT_FEATURES)) expect(folders.map(defectOf)).toContain(id);
  });

  for (const folder of folders) {
    const known = (KNOWN_DEFECTS as readonly string[]).includes(defectOf(folder));
    it(`${folder}${known ? ' (known defect: still fails)' : ''}`, async () => {
      const records = readFileSync(join(DIR, folder, 'signals.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const config = parse(readFileSync(join(DIR, folder, 'config.yaml'), 'utf8')) as Record<string, unknown>;
      // Every check on, except those of other defects still known (this file should show its own).
      const f = { ...ALL_FEATURES, ...featuresWithout(KNOWN_DEFECTS, known ? defectOf(folder) : undefined) };
      const { violations } = await runSession(
        { config, records },
        {
          checkDrift: f.checkDrift,
          checkDeterminism: true,
          outcomeWhenUnchanged: f.outcomeWhenUnchanged,
          reasonForSkippedChanges: f.reasonForSkippedChanges,
        },
      );
      const text = violations.map(formatViolation).join('\n');
      if (known)
        expect(
          violations.length,
          `${folder} passes now: remove ${defectOf(folder)} from KNOWN_DEFECTS`,
        ).toBeGreaterThan(0);
      else expect(text).toBe('');
    }, 60_000);
  }
});
