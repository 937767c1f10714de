import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@tradenova/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoCommand } from '../../src/commands/demo.js';
import type { RunMetrics } from '../../src/metrics/metrics.js';
import type { Session } from '../../src/run/session.js';
import { captureIo } from '../capture-io.js';
import { describeWithProgram } from '../replay-html/require-program.js';
import { concreteQuery, loadDashboards } from './dashboards.js';
import { exportedMetricNames, metricNamesIn } from './metric-names.js';

const root = resolve(import.meta.dirname, '../../../..');
const rules = join(root, 'deploy/prometheus/alerts.yml');
const run = promisify(execFile);

describeWithProgram(
  { name: 'promtool', env: 'TRADENOVA_PROMTOOL', apt: 'prometheus' },
  'Prometheus alert rules',
  (promtool) => {
    it('pass promtool check rules', async () => {
      const { stdout } = await run(promtool, ['check', 'rules', rules]);
      expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
    });

    it('pass their promtool unit tests', async () => {
      const { stdout } = await run(promtool, ['test', 'rules', 'alerts.test.yml'], {
        cwd: join(root, 'deploy/prometheus/tests'),
      });
      expect(stdout).toContain('SUCCESS');
    });

    it('the compose Prometheus config passes promtool check config', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tn-promcfg-'));
      // The rule path is the container's: point it at the file in the repo.
      const config = readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8');
      expect(config).toContain('/etc/prometheus/alerts.yml');
      writeFileSync(join(dir, 'prometheus.yml'), config.replace('/etc/prometheus/alerts.yml', rules));
      const { stdout } = await run(promtool, ['check', 'config', join(dir, 'prometheus.yml')]);
      expect(stdout).toMatch(/SUCCESS/);
    });

    it('read only metrics the code exports', async () => {
      const used = metricNamesIn(readFileSync(rules, 'utf8'));
      expect(used.size).toBeGreaterThanOrEqual(8);
      const exported = await exportedMetricNames();
      expect([...used].filter((n) => !exported.has(n))).toEqual([]);
    });
  },
);

/** A free TCP port on loopback (listen on 0, read it, close). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

describeWithProgram(
  { name: 'prometheus', env: 'TRADENOVA_PROMETHEUS', apt: 'prometheus' },
  'a real Prometheus scraping tradenova demo --metrics',
  (prometheus) => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-prom-'));
    let stop = () => {};
    let running: Promise<number> | undefined;
    let session: Session | undefined;
    let endpoint: { url: string; metrics: RunMetrics } | undefined;
    let server: ChildProcess | undefined;
    let api = '';
    const log: string[] = [];
    const alerts = async () =>
      ((await (await fetch(`${api}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } }).data.alerts;

    beforeAll(async () => {
      const { io } = captureIo();
      running = demoCommand({ json: true, metrics: '127.0.0.1:0', noJournal: true }, io, {
        stop: new Promise<void>((r) => {
          stop = r;
        }),
        onMetrics: (e) => {
          endpoint = e;
        },
        onSession: (s) => {
          session = s;
        },
      });
      await waitFor(async () => endpoint, {
        message: 'the demo serves metrics',
        timeout: 30_000,
        interval: 250,
        context: () => log.join('').slice(-3000),
      });
      const target = new URL(endpoint!.url).host;
      // The shipped rules, evaluated every second; `for:` shortened so the test waits seconds, not minutes
      // (the durations themselves are covered by the promtool unit tests).
      writeFileSync(join(dir, 'alerts.yml'), readFileSync(rules, 'utf8').replace(/for: \d+[sm]/g, 'for: 2s'));
      writeFileSync(
        join(dir, 'prometheus.yml'),
        `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [alerts.yml]
scrape_configs:
  - job_name: tradenova
    static_configs: [{ targets: ['${target}'] }]
`,
      );
      const port = await freePort();
      api = `http://127.0.0.1:${port}`;
      server = spawn(
        prometheus,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      server.stdout?.on('data', (d) => log.push(String(d)));
      server.stderr?.on('data', (d) => log.push(String(d)));
      // The target is up and the tradovate followers' connection is seen connected.
      await waitFor(
        async () => {
          const res = await fetch(
            `${api}/api/v1/query?query=${encodeURIComponent('tradenova_connection_state{broker="tradovate",state="connected"}')}`,
          );
          const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
          return body.data.result.length > 0 && body.data.result.every((r) => r.value[1] === '1')
            ? true
            : undefined;
        },
        {
          message: 'Prometheus scrapes the demo',
          timeout: 60_000,
          interval: 250,
          context: () => log.join('').slice(-3000),
        },
      );
    }, 120_000);

    afterAll(async () => {
      if (server && server.exitCode === null) {
        const exited = new Promise((r) => server!.once('exit', r));
        server.kill('SIGTERM');
        await exited;
      }
      stop();
      await running;
    }, 60_000);

    it('answers every Grafana panel query, with data for latency, fills, P&L and breakers', async () => {
      const query = async (expr: string) => {
        const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(concreteQuery(expr))}`);
        return (await res.json()) as { status: string; error?: string; data: { result: unknown[] } };
      };
      const exprs = loadDashboards().flatMap(({ dashboard }) =>
        dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr }))),
      );
      for (const { panel, expr } of exprs) {
        const answer = await query(expr);
        expect(answer.status, `${panel}: ${expr}: ${answer.error}`).toBe('success');
      }
      // Rates need two scrapes in the window: wait for the copies to show.
      for (const title of [
        'Copy latency p50 / p99 per broker',
        'Fills per broker',
        'Realized + unrealized P&L per follower',
        'Breaker state',
      ]) {
        const { expr } = exprs.find((e) => e.panel === title)!;
        await waitFor(async () => ((await query(expr)).data.result.length > 0 ? true : undefined), {
          message: `data for "${title}"`,
          timeout: 60_000,
          interval: 250,
          context: () => log.join('').slice(-3000),
        });
      }
    }, 90_000);

    it('fires TradeNovaBrokerConnectionDown when a simulator is killed, and not before', async () => {
      expect((await alerts()).filter((a) => a.labels.alertname === 'TradeNovaBrokerConnectionDown')).toEqual(
        [],
      );
      expect((await alerts()).filter((a) => a.labels.alertname === 'TradeNovaProcessDown')).toEqual([]);
      const tradovate = session!.simulators.find((s) => s.broker === 'tradovate');
      expect(tradovate).toBeDefined();
      await tradovate!.close();
      const firing = await waitFor(
        async () => {
          const found = (await alerts()).filter(
            (a) =>
              a.labels.alertname === 'TradeNovaBrokerConnectionDown' &&
              a.labels.broker === 'tradovate' &&
              a.state === 'firing',
          );
          return found.length > 0 ? found : undefined;
        },
        {
          message: 'the alert fires',
          timeout: 60_000,
          interval: 250,
          context: () => log.join('').slice(-3000),
        },
      );
      expect(firing[0]!.labels.severity).toBe('critical');
      expect(firing[0]!.labels.job).toBe('tradenova');
      // Only the killed broker: the other simulators are still connected.
      const others = (await alerts()).filter(
        (a) => a.labels.alertname === 'TradeNovaBrokerConnectionDown' && a.labels.broker !== 'tradovate',
      );
      expect(others).toEqual([]);
    }, 90_000);
  },
);
