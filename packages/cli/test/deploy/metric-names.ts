import { parseEngineConfig } from '@tradenova/core';
import { RunMetrics } from '../../src/metrics/metrics.js';

/**
 * Every series name `tradenova --metrics` can export: read from the code's own registry
 * (histograms give `_bucket`, `_sum` and `_count`), with the process metrics.
 */
export async function exportedMetricNames(): Promise<Set<string>> {
  const config = parseEngineConfig({
    version: 1,
    leader: { name: 'leader', broker: 'paper', account: 'L' },
    followers: [{ name: 'f1', broker: 'paper', account: 'A1' }],
  });
  const metrics = new RunMetrics(config);
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    if (String(m.type) === 'histogram')
      for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
    else names.add(m.name);
  }
  return names;
}

/** The `tradenova_*` series names a rule file or a dashboard's queries use. */
export function metricNamesIn(text: string): Set<string> {
  return new Set([...text.matchAll(/\btradenova_[a-z0-9_]+/g)].map((m) => m[0]));
}
