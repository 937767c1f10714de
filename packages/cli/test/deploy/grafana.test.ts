import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deployDir, loadDashboards, type Panel } from './dashboards.js';
import { exportedMetricNames, metricNamesIn } from './metric-names.js';

const PANEL_TYPES = new Set(['row', 'stat', 'timeseries', 'bargauge', 'table', 'state-timeline', 'gauge']);
const BUILTIN_VARIABLES = new Set(['__rate_interval', '__interval', '__range']);

const datasources = parse(
  readFileSync(join(deployDir, 'grafana/provisioning/datasources/prometheus.yaml'), 'utf8'),
) as { apiVersion: number; datasources: { uid: string; type: string; url: string }[] };
const providers = parse(
  readFileSync(join(deployDir, 'grafana/provisioning/dashboards/tradenova.yaml'), 'utf8'),
) as { apiVersion: number; providers: { type: string; options: { path: string } }[] };

describe('Grafana dashboards and provisioning', () => {
  const dashboards = loadDashboards();
  const uids = new Set(datasources.datasources.map((d) => d.uid));

  it('provision one Prometheus data source and a file provider', () => {
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toEqual([
      expect.objectContaining({
        type: 'prometheus',
        uid: 'tradenova-prometheus',
        url: 'http://prometheus:9090',
      }),
    ]);
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers[0]).toMatchObject({ type: 'file' });
    // deploy/compose.yaml mounts the dashboards where the provider looks.
    const compose = readFileSync(join(deployDir, 'compose.yaml'), 'utf8');
    expect(compose).toContain(`./grafana/dashboards:${providers.providers[0]!.options.path}`);
    expect(dashboards.length).toBeGreaterThan(0);
  });

  for (const { file, dashboard } of dashboards) {
    describe(file, () => {
      const panels = dashboard.panels;
      const queried = panels.filter((p) => p.type !== 'row');

      it('has a uid, a title, a schema version and panels with unique ids', () => {
        expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
        expect(dashboard.title.length).toBeGreaterThan(0);
        expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(30);
        expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
        for (const p of panels) expect(PANEL_TYPES.has(p.type), `${p.title}: ${p.type}`).toBe(true);
      });

      it('lays its panels on the 24-column grid without overlap', () => {
        for (const p of panels) {
          const g = p.gridPos;
          expect(g.x >= 0 && g.w > 0 && g.h > 0 && g.x + g.w <= 24, p.title).toBe(true);
        }
        const overlap = (a: Panel, b: Panel) =>
          a.gridPos.x < b.gridPos.x + b.gridPos.w &&
          b.gridPos.x < a.gridPos.x + a.gridPos.w &&
          a.gridPos.y < b.gridPos.y + b.gridPos.h &&
          b.gridPos.y < a.gridPos.y + a.gridPos.h;
        for (const [i, a] of panels.entries())
          for (const b of panels.slice(i + 1)) expect(overlap(a, b), `${a.title} / ${b.title}`).toBe(false);
      });

      it('queries the provisioned data source with unique refIds, using defined variables only', () => {
        const variables = new Set(dashboard.templating.list.map((v) => v.name));
        for (const p of queried) {
          expect(uids.has(p.datasource?.uid ?? ''), p.title).toBe(true);
          expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
          expect(new Set(p.targets!.map((t) => t.refId)).size).toBe(p.targets!.length);
          for (const t of p.targets!) {
            expect(uids.has(t.datasource?.uid ?? p.datasource!.uid)).toBe(true);
            for (const [, name] of t.expr.matchAll(/\$\{?(\w+)\}?/g))
              expect(variables.has(name!) || BUILTIN_VARIABLES.has(name!), `${p.title}: $${name}`).toBe(true);
          }
        }
      });

      it('every query names metrics the code exports', async () => {
        const exported = await exportedMetricNames();
        for (const p of queried) {
          for (const t of p.targets!) {
            const names = metricNamesIn(t.expr);
            expect(names.size, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
            expect(
              [...names].filter((n) => !exported.has(n)),
              p.title,
            ).toEqual([]);
          }
        }
        for (const v of dashboard.templating.list) {
          const q = JSON.stringify(v.query);
          expect(
            [...metricNamesIn(q)].filter((n) => !exported.has(n)),
            v.name,
          ).toEqual([]);
        }
      });
    });
  }

  it('cover latency, fills and rejects per broker, P&L per account, breakers, Kafka lag and journal lag', () => {
    const exprs = dashboards.flatMap(({ dashboard }) =>
      dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    );
    const has = (re: RegExp) => exprs.some((e) => re.test(e));
    expect(has(/tradenova_copy_latency_seconds_bucket.*by \(broker/s) || has(/by \(broker, le\)/)).toBe(true);
    expect(has(/by \(broker\).*tradenova_orders_total.*outcome="filled"/s)).toBe(true);
    expect(has(/tradenova_orders_total.*outcome=~"rejected/s)).toBe(true);
    expect(has(/by \(follower\).*tradenova_follower_pnl/s)).toBe(true);
    expect(has(/tradenova_breaker_state/)).toBe(true);
    expect(has(/tradenova_kafka_consumer_lag_messages/)).toBe(true);
    expect(has(/tradenova_journal_lag_events/)).toBe(true);
  });
});
