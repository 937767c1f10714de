import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const deployDir = resolve(import.meta.dirname, '../../../../deploy');

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

/** Every dashboard JSON under deploy/grafana/dashboards, by file name. */
export function loadDashboards(): { file: string; dashboard: Dashboard }[] {
  const dir = join(deployDir, 'grafana/dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard }));
}

/** A panel query as Prometheus would get it: Grafana's variables filled in. */
export function concreteQuery(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replace(/\$\{?(\w+)\}?/g, '.*');
}
