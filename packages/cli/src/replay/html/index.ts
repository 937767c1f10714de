import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { EngineConfig, ReplayOptions, ReplayRecord, ReplayReport } from '@tradenova/core';
import { CliError } from '../../errors.js';
import { loadChartAssets } from './assets.js';
import { renderReplayHtml } from './page.js';
import { SeriesRecorder } from './series.js';

export { loadChartAssets } from './assets.js';
export { type ChartData, drawCharts } from './draw.js';
export { MARKER_COLORS, type PageAssets, type PageInput, renderReplayHtml } from './page.js';
export {
  type AccountSeries,
  type BrokerLatency,
  type ReplaySeries,
  type SeriesOptions,
  SeriesRecorder,
} from './series.js';

/**
 * `tradenova replay --html FILE`: records the session's curves while it replays
 * (`attach` adds the hooks to the replay's options, beside any it already has),
 * then writes the page from the JSON report and those curves.
 */
export function htmlReport(config: EngineConfig, records: readonly ReplayRecord[], source: string) {
  const recorder = new SeriesRecorder(config, {
    span: { start: records[0]?.time ?? 0, end: records.at(-1)?.time ?? 0 },
  });
  return {
    attach(options: ReplayOptions): ReplayOptions {
      const previous = options.onEvent;
      return {
        ...options,
        onEvent: previous
          ? (event) => {
              previous(event);
              recorder.onEvent(event);
            }
          : recorder.onEvent,
        onStep: recorder.onStep,
      };
    },
    write(file: string, report: ReplayReport): void {
      const html = renderReplayHtml({
        report,
        series: recorder.series(),
        source: basename(source),
        assets: loadChartAssets(),
      });
      try {
        writeFileSync(file, html);
      } catch (error) {
        throw new CliError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
    },
  };
}
