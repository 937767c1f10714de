import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { captureIo } from '../capture-io.js';
import { describeWithProgram } from './require-program.js';

/** The page's document, inside `page.evaluate` (the tests are built without the DOM types). */
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  getElementById(id: string): { textContent: string | null } | null;
};

const root = resolve(import.meta.dirname, '../../../..');
const paperConfig = join(root, 'examples/paper.yaml');
const session = join(root, 'examples/signals/session.jsonl');
const riskBreach = join(root, 'examples/signals/risk-breach.jsonl');
const bin = join(root, 'packages/cli/dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'tn-html-'));

/** Followers on two broker simulators (over real sockets) and one on paper. */
const MIXED = `version: 1
leader: { name: leader, broker: tradovate, connection: tv, account: DEMO0000001 }
connections:
  tv: { broker: tradovate, options: { environment: demo, username: u, password: p } }
  px: { broker: projectx, options: { firm: topstepx, userName: u, apiKey: k } }
followers:
  - { name: tv-fixed-1, connection: tv, broker: tradovate, account: DEMO0000101, scaling: { mode: fixed, qty: 1 } }
  - { name: tv-double, connection: tv, broker: tradovate, account: DEMO0000102, scaling: { mode: multiplier, factor: 2 } }
  - { name: px-fixed-1, connection: px, broker: projectx, account: PRAC-V2-12345-00101, firm: topstep, scaling: { mode: fixed, qty: 1 } }
  - { name: paper-1, broker: paper, account: SIM-P1, scaling: { mode: fixed, qty: 1 } }
`;

type Json = Record<string, unknown>;

/** Runs `tradenova replay … --html --out` in this process; returns the page's path and the JSON report. */
async function replayToHtml(signals: string, config: string, name: string, extra: string[] = []) {
  const html = join(dir, `${name}.html`);
  const out = join(dir, `${name}.json`);
  const c = captureIo();
  const code = await main(['replay', signals, '-c', config, '--html', html, '--out', out, ...extra], c.io);
  expect(c.stderr()).toBe('');
  return { code, html, report: JSON.parse(readFileSync(out, 'utf8')) as Json };
}

/** The value at a dotted path of the report (`accounts.3.orders.placed`, `signals.errors.length`). */
function at(report: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown>)?.[key], report);
}

interface Drawn {
  id: string;
  width: number;
  height: number;
  painted: number;
  /** Pixels in the colour of the first series (the follower's curve). */
  curve: number;
}

/** Opens the page as a person would and reads back what it shows. */
async function look(browser: Browser, file: string, shot: string) {
  const page: Page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => document.body.dataset.charts !== undefined, undefined, {
    timeout: 30_000,
  });
  const fields = await page.$$eval('[data-field]', (els) =>
    els.map((e) => ({ path: e.getAttribute('data-field') ?? '', text: e.textContent ?? '' })),
  );
  const charts: Drawn[] = await page.$$eval('.chart', (els) =>
    els.map((el) => {
      const canvas = el.querySelector('canvas');
      if (!canvas) return { id: el.id, width: 0, height: 0, painted: 0, curve: 0 };
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      let curve = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 0) painted++;
        // #1f77b4 (equity) or the first palette colour (held position): the same blue.
        if (
          Math.abs(data[i]! - 31) < 24 &&
          Math.abs(data[i + 1]! - 119) < 24 &&
          Math.abs(data[i + 2]! - 180) < 24
        )
          curve++;
      }
      return { id: el.id, width: canvas.width, height: canvas.height, painted, curve };
    }),
  );
  const drawnCount = Number(await page.evaluate(() => document.body.dataset.charts));
  const latencyRows = await page.$$eval('tr[data-broker]', (rows) =>
    rows.map((r) => ({
      broker: r.getAttribute('data-broker') ?? '',
      ...Object.fromEntries(
        [...r.querySelectorAll('[data-series]')].map((c) => [
          c.getAttribute('data-series'),
          Number(c.textContent),
        ]),
      ),
    })),
  );
  const markers = await page.$$eval('article.account', (arts) =>
    arts.map((a) => ({
      name: a.querySelector('h3')?.firstChild?.textContent?.trim() ?? '',
      kinds: [...a.querySelectorAll('.markers li b')].map((b) => b.textContent ?? ''),
    })),
  );
  const chartData = JSON.parse(
    await page.evaluate(() => document.getElementById('tn-charts')?.textContent ?? '{}'),
  ) as { times: number[]; accounts: { name: string; equity: number[]; scaledLeader: number[] }[] };
  await page.screenshot({ path: shot, fullPage: true });
  await page.close();
  return { requests, problems, fields, charts, drawnCount, latencyRows, markers, chartData };
}

/** The checks every page must pass: drawn, offline, clean, and its numbers are the report's. */
function expectFaithful(seen: Awaited<ReturnType<typeof look>>, file: string, report: Json) {
  // Nothing but the file itself was loaded: no network at view time.
  expect(seen.requests).toEqual([pathToFileURL(file).href]);
  expect(seen.problems).toEqual([]);
  const accounts = report.accounts as Json[];
  // Every figure on the page equals the JSON report's, field by field.
  expect(seen.fields.length).toBeGreaterThan(accounts.length * 13);
  for (const f of seen.fields) expect(f.text, f.path).toBe(String(at(report, f.path)));
  for (const a of accounts.keys()) {
    for (const key of ['placed', 'filled', 'rejected', 'blocked', 'cancelled']) {
      expect(seen.fields.some((f) => f.path === `accounts.${a}.orders.${key}`)).toBe(true);
    }
    expect(seen.fields.some((f) => f.path === `accounts.${a}.realizedPnl`)).toBe(true);
  }
  for (const key of ['p50', 'p90', 'p99', 'max', 'count']) {
    expect(seen.fields.some((f) => f.path === `latency.${key}`)).toBe(true);
  }
  // Every chart drew: a canvas of real size with the follower's curve on it.
  expect(seen.charts.length).toBeGreaterThanOrEqual(accounts.length);
  expect(seen.drawnCount).toBe(seen.charts.length);
  for (const c of seen.charts) {
    expect(c.width, c.id).toBeGreaterThan(300);
    expect(c.painted, c.id).toBeGreaterThan(2000);
    expect(c.curve, c.id).toBeGreaterThan(50);
  }
  // The curves end where the report ends: equity moved by exactly the account's P&L.
  for (const a of accounts) {
    const series = seen.chartData.accounts.find((s) => s.name === a.name)!;
    const mils = (m: unknown) => Math.round(Number(m) * 1000);
    expect(series.equity.at(-1)! - series.equity[0]!, String(a.name)).toBe(
      mils(a.realizedPnl) + mils(a.unrealizedPnl),
    );
    expect(series.equity.length).toBe(seen.chartData.times.length);
  }
  // The markers on each timeline include one per blocked order of the report.
  for (const a of accounts) {
    const m = seen.markers.find((x) => x.name === a.name)!;
    expect(m.kinds.filter((k) => k === 'blocked').length, String(a.name)).toBe(
      (a.blocked as unknown[]).length,
    );
  }
}

describeWithProgram(
  { name: 'chromium', env: 'TRADENOVA_CHROMIUM', apt: 'chromium' },
  'replay --html in headless Chromium',
  (executablePath) => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('draws the risk-breach session with its blocked orders and drift marked, numbers equal to the JSON', async () => {
      const { html, report } = await replayToHtml(riskBreach, paperConfig, 'risk');
      const seen = await look(browser, html, join(dir, 'risk.png'));
      expectFaithful(seen, html, report);
      expect(report.violations).toBeGreaterThan(0);
      expect(seen.markers.some((m) => m.kinds.includes('drift'))).toBe(true);
      // One broker: its percentiles are the report's.
      const l = report.latency as Json;
      expect(seen.latencyRows).toEqual([
        { broker: 'paper', count: l.count, p50: l.p50, p90: l.p90, p99: l.p99, max: l.max },
      ]);
      expect(statSync(join(dir, 'risk.png')).size).toBeGreaterThan(50_000);
      // The scaled leader: the leader's own P&L, worked out here from its fills in the
      // file (it ends flat), twice over for the doubled follower.
      const leaderPnl = leaderPnlMils(readFileSync(riskBreach, 'utf8'));
      expect(leaderPnl).not.toBe(0);
      const doubled = seen.chartData.accounts.find((a) => a.name === 'f04-double')!;
      expect(doubled.scaledLeader.at(-1)! - doubled.scaledLeader[0]!).toBe(2 * leaderPnl);
    }, 90_000);

    it('draws the 20-follower example session with numbers equal to the JSON', async () => {
      const { html, report } = await replayToHtml(session, paperConfig, 'session');
      const seen = await look(browser, html, join(dir, 'session.png'));
      expectFaithful(seen, html, report);
      for (const a of seen.chartData.accounts)
        expect(a.scaledLeader.length).toBe(seen.chartData.times.length);
    }, 90_000);

    it('works with --brokers simulated: latency per broker, charts drawn', async () => {
      const config = join(dir, 'mixed.yaml');
      writeFileSync(config, MIXED);
      const { html, report } = await replayToHtml(session, config, 'mixed', ['--brokers', 'simulated']);
      const seen = await look(browser, html, join(dir, 'mixed.png'));
      expectFaithful(seen, html, report);
      const rows = seen.latencyRows as { broker: string; count: number; max: number }[];
      expect(rows.map((r) => r.broker)).toEqual(['paper', 'projectx', 'tradovate']);
      const l = report.latency as { count: number; max: number };
      expect(rows.reduce((n, r) => n + r.count, 0)).toBe(l.count);
      expect(Math.max(...rows.map((r) => r.max))).toBe(l.max);
    }, 120_000);

    it.runIf(existsSync(bin))(
      'the built binary writes a page that draws',
      async () => {
        const html = join(dir, 'bin.html');
        const out = join(dir, 'bin.json');
        await promisify(execFile)(process.execPath, [
          bin,
          'replay',
          riskBreach,
          '-c',
          paperConfig,
          '--html',
          html,
          '--out',
          out,
        ]).catch((error: { code?: number }) => {
          // Exit 1: the session breaks risk rules on purpose; the files are written all the same.
          if (error.code !== 1) throw error;
        });
        const seen = await look(browser, html, join(dir, 'bin.png'));
        expectFaithful(seen, html, JSON.parse(readFileSync(out, 'utf8')));
      },
      90_000,
    );
  },
);

/**
 * The leader's realized P&L in mils from the session file (MNQ only: $0.50 a tick of
 * 0.25): market fills at their `fillPrice`, a flatten at the last recorded trade.
 */
function leaderPnlMils(text: string): number {
  let qty = 0;
  let cash = 0; // Σ −signed qty × price, in ticks
  let last = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as Record<string, string | number>;
    const ticks = (p: unknown) => Math.round(Number(p) * 4);
    if (r.type === 'trade') last = ticks(r.price);
    if (r.instrument && !String(r.instrument).startsWith('MNQ')) throw new Error('MNQ only');
    if (r.action === 'new' && r.orderType === 'market') {
      const signed = r.side === 'buy' ? Number(r.qty) : -Number(r.qty);
      last = ticks(r.fillPrice);
      qty += signed;
      cash -= signed * last;
    }
    if (r.action === 'flatten') {
      cash += qty * last;
      qty = 0;
    }
  }
  if (qty !== 0) throw new Error('the leader should end flat');
  return cash * 500;
}
