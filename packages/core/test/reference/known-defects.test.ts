/**
 * Each defect in KNOWN_DEFECTS must still show: a run with only its feature switched
 * on finds a violation (and writes the shrunk counterexample). When a fix lands this
 * test fails on purpose: remove the id from KNOWN_DEFECTS, and the differential test
 * and the regression files then hold the fix in place.
 */
import { describe, expect, it } from 'vitest';
import { DEFECT_FEATURES, DEFECTS, featuresWithout, KNOWN_DEFECTS } from './known-defects.js';
import { formatResult, verify } from './verify.js';

// An empty list has nothing to show: its fixes are checked below and in the differential test.
describe.runIf(KNOWN_DEFECTS.length > 0)(
  'known defects still show (remove an id from KNOWN_DEFECTS once fixed)',
  () => {
    for (const id of KNOWN_DEFECTS) {
      it(`${id}: found within 300 sessions`, async () => {
        const result = await verify({
          sessions: 300,
          stopAtFirst: true,
          ...(DEFECT_FEATURES[id].kinds ? { kinds: DEFECT_FEATURES[id].kinds } : {}),
          seed: 20251124,
          features: featuresWithout(KNOWN_DEFECTS, id),
          shrink: false,
        });
        const found = Object.values(result.violations).reduce((n, v) => n + (v ?? 0), 0);
        expect(
          found,
          `${id} no longer shows: remove it from KNOWN_DEFECTS\n${formatResult(result, 20251124)}`,
        ).toBeGreaterThan(0);
      }, 300_000);
    }
  },
);

describe('fixed defects run in the differential test', () => {
  it('every feature of a defect no longer known is on', () => {
    const features = featuresWithout(KNOWN_DEFECTS);
    for (const id of DEFECTS) {
      if ((KNOWN_DEFECTS as readonly string[]).includes(id)) continue;
      for (const name of DEFECT_FEATURES[id].features) expect(features[name], `${id}: ${name}`).toBe(true);
    }
  });
});
