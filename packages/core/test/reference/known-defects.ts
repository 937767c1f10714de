/**
 * Engine defects the reference model finds today, each with the generator feature or
 * check that shows it. THE LEAD EMPTIES THIS LIST: once a defect is fixed, remove its
 * id; the differential test then runs with its feature on, and known-defects.test.ts
 * (which expects each listed defect to still fail) tells you when a fix has landed.
 */
import type { GeneratorFeatures } from './generator.js';
import type { ViolationKind } from './model.js';

/** Every defect the model has shown, fixed or not: each keeps its regression folders. */
export const DEFECTS = [
  /** Issue 13 defect 1 (fixed): cancelling a working exit did not cancel the followers' copies. */
  'exit-cancel',
  /** Issue 13 defect 2 (fixed): a modify of a working exit or reversal did not re-plan the followers' legs. */
  'exit-modify',
  /** Issue 13 defect 3 (fixed): a follower contract fed by two leader instruments lost each source's share. */
  'shared-contract',
  /** Issue 13 defect 4 (fixed): the report's drift was wrong for a contract fed by two sources. */
  'drift',
  /**
   * Found by the model (fixed): an inverse follower's copy of a working order, placed with limit and
   * stop swapped, could fill when the leader's did not; it now follows the leader's fills.
   */
  'inverse-working',
  /** Found by the model (fixed): a follower whose position an event left as it was got no outcome for it. */
  'outcome-unchanged',
  /** Found by the model (fixed): a modify or cancel for a follower without a copy was `skipped` with no reason. */
  'skip-reason',
  /** Found by the model (fixed): a working order was not re-planned when the leader's position moved before it filled. */
  'working-replan',
] as const;

/** The defects still open: their features stay off in the differential test. */
export const KNOWN_DEFECTS: readonly (typeof DEFECTS)[number][] = [];

export type DefectId = (typeof DEFECTS)[number] | 'none';

/** The generator features (or checks) that show each defect, and the violation kinds it gives. */
export const DEFECT_FEATURES: Record<
  Exclude<DefectId, 'none'>,
  {
    /** Off while the defect is known. */
    features: (keyof GeneratorFeatures)[];
    /** Also on when this defect alone is shown (it shows only in their company). */
    needs?: (keyof GeneratorFeatures)[];
    /** The violations that count as this defect (every kind when absent). */
    kinds?: ViolationKind[];
  }
> = {
  'exit-cancel': { features: ['cancelExits'] },
  'exit-modify': { features: ['modifyExits'] },
  'shared-contract': { features: ['sharedContracts'] },
  drift: { features: ['checkDrift'], needs: ['sharedContracts'], kinds: ['drift'] },
  'inverse-working': { features: ['inverseWorkingOrders'] },
  'outcome-unchanged': { features: ['outcomeWhenUnchanged'], kinds: ['outcome'] },
  'skip-reason': { features: ['reasonForSkippedChanges'], kinds: ['outcome'] },
  'working-replan': { features: ['ordersAroundWorking'] },
};

/** Features for a run that must pass today: every known defect's feature off, `except` the one given. */
export function featuresWithout(
  known: readonly string[] = KNOWN_DEFECTS,
  except?: string,
): Partial<GeneratorFeatures> {
  const features: Partial<GeneratorFeatures> = {};
  for (const [id, { features: names }] of Object.entries(DEFECT_FEATURES)) {
    for (const name of names) features[name] = !known.includes(id);
  }
  if (except !== undefined) {
    const d = DEFECT_FEATURES[except as Exclude<DefectId, 'none'>];
    for (const name of [...d.features, ...(d.needs ?? [])]) features[name] = true;
  }
  return features;
}
