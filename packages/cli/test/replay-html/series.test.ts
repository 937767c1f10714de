import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type EngineConfig, parseMoney, parseReplay, runReplay } from '@tradenova/core';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { renderReplayHtml } from '../../src/replay/html/page.js';
import { SeriesRecorder } from '../../src/replay/html/series.js';

const root = resolve(import.meta.dirname, '../../../..');
const config = loadConfig(join(root, 'examples/paper.yaml'), { env: {} }, { lenientReferences: true })
  .config as EngineConfig;
const records = parseReplay(readFileSync(join(root, 'examples/signals/session.jsonl'), 'utf8'), 'jsonl', {
  strict: false,
}).records;

async function record(maxPoints?: number) {
  const recorder = new SeriesRecorder(config, {
    span: { start: records[0]!.time, end: records.at(-1)!.time },
    ...(maxPoints ? { maxPoints } : {}),
  });
  const report = await runReplay({ config, records, onEvent: recorder.onEvent, onStep: recorder.onStep });
  return { report, series: recorder.series() };
}

describe('SeriesRecorder', () => {
  it('keeps one point per record time in a short session, and ends at the report', async () => {
    const { report, series } = await record();
    expect(series.thinned).toBe(false);
    // Every record time is a point; the end (after the last orders settled) may add one.
    const distinct = [...new Set(records.map((r) => r.time))];
    expect(series.times.slice(0, distinct.length)).toEqual(distinct);
    expect(series.times.length - distinct.length).toBeLessThanOrEqual(1);
    expect([...series.times].sort((a, b) => a - b)).toEqual(series.times);
    for (const a of report.accounts) {
      const s = series.accounts.find((x) => x.name === a.name)!;
      const start = parseMoney(config.followers.find((f) => f.name === a.name)!.startingBalance);
      expect(s.equity.at(-1)).toBe(start + parseMoney(a.realizedPnl) + parseMoney(a.unrealizedPnl));
      for (const c of s.contracts) expect(c.qty.length).toBe(series.times.length);
    }
  });

  it('stays bounded: a long session is sampled to at most maxPoints (+ the end), same end state', async () => {
    const full = await record();
    const { report, series } = await record(8);
    expect(series.thinned).toBe(true);
    expect(series.times.length).toBeLessThanOrEqual(9);
    expect(report).toEqual(full.report);
    for (const [i, a] of series.accounts.entries()) {
      expect(a.equity.at(-1)).toBe(full.series.accounts[i]!.equity.at(-1));
      // The scaled leader sees every move of the leader, not only the samples.
      expect(a.scaledLeader.at(-1)).toBe(full.series.accounts[i]!.scaledLeader.at(-1));
    }
  });

  it('per-broker latency uses the report rule: one broker gives the report figures', async () => {
    const { report, series } = await record();
    const { clock: _c, unit: _u, ...figures } = report.latency;
    expect(series.latencyByBroker).toEqual([{ broker: 'paper', ...figures }]);
  });

  it('renders a page that carries its own chart library and escapes what it prints', async () => {
    const { report, series } = await record();
    const html = renderReplayHtml({
      report,
      series,
      source: '<evil>.jsonl',
      assets: { script: 'var uPlot = function () {};', css: '.u{}' },
    });
    expect(html).toContain('&lt;evil&gt;.jsonl');
    expect(html).not.toContain('<evil>');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(html).toContain("default-src 'none'");
    expect(html.match(/data-field=/g)!.length).toBeGreaterThan(report.accounts.length * 13);
  });
});

describe('the page of a long session', () => {
  it('stays small: no embedded JSON past 2 MB, error rows capped, every figure still there', async () => {
    const { report, series } = await record();
    const fill = report.accounts[0]!.fills[0]!;
    const blocked = { signalId: 's', intentId: 'i', reason: 'MAX_ORDER_QTY', message: 'too big' };
    const long = {
      ...report,
      accounts: report.accounts.map((a) => ({
        ...a,
        fills: new Array(5000).fill(fill),
        blocked: new Array(100).fill(blocked),
      })),
    };
    const html = renderReplayHtml({
      report: long,
      series,
      source: 'long.jsonl',
      assets: { script: '', css: '' },
    });
    expect(html).not.toContain('id="report-json"');
    expect(html).toMatch(/The JSON report is \d+\.\d MB/);
    expect(html).toContain('1000 more in the JSON report.');
    expect(html.length).toBeLessThan(1_000_000);
    expect(html.match(/data-field=/g)!.length).toBe(
      renderReplayHtml({ report, series, source: 's', assets: { script: '', css: '' } }).match(
        /data-field=/g,
      )!.length,
    );
  });
});

describe('replay --html', () => {
  it('keeps the replay options it is given (a journal listener still sees every event)', async () => {
    const { htmlReport } = await import('../../src/replay/html/index.js');
    const html = htmlReport(config, records, 'session.jsonl');
    const seen: string[] = [];
    const options = html.attach({ config, records, onEvent: (e) => seen.push(e.type) });
    const report = await runReplay(options);
    expect(seen.filter((t) => t === 'order-placed').length).toBe(report.latency.count);
  });

  it('names the file it cannot write, with the bad-input exit code', async () => {
    const { main } = await import('../../src/main.js');
    const { captureIo } = await import('../capture-io.js');
    const c = captureIo();
    const code = await main(
      [
        'replay',
        join(root, 'examples/signals/session.jsonl'),
        '-c',
        join(root, 'examples/paper.yaml'),
        '--html',
        '/nonexistent-dir/report.html',
      ],
      c.io,
    );
    expect(c.stderr()).toMatch(/cannot write \/nonexistent-dir\/report\.html: ENOENT/);
    expect(code).not.toBe(0);
    expect(code).not.toBe(70);
  });
});
