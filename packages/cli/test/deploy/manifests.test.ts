import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfigText } from '../../src/config/load-config.js';
import { deployDir } from './dashboards.js';
import { exportedMetricNames } from './metric-names.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, read field by field for the checks
type Obj = Record<string, any>;

/** The kubernetes-models class for each kind the manifests use: each validates against the API schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

const k8sDir = join(deployDir, 'k8s');
const kustomization = parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as {
  resources: string[];
};
const objects: { file: string; obj: Obj }[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    return { file, obj: doc.toJS() as Obj };
  }),
);
const ofKind = (kind: string) => objects.filter((o) => o.obj.kind === kind).map((o) => o.obj);
const configText = readFileSync(join(deployDir, 'config/tradenova.yaml'), 'utf8');
const envNames = [...configText.replace(/^\s*#.*$/gm, '').matchAll(/\$\{env:(\w+)\}/g)].map((m) => m[1]!);

describe('Kubernetes manifests', () => {
  it('list every manifest file in the kustomization', () => {
    const files = readdirSync(k8sDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('validate against the Kubernetes API schemas (kubernetes-models)', () => {
    expect(objects.length).toBeGreaterThanOrEqual(9);
    for (const { file, obj } of objects) {
      const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
      expect(Model, `${file}: ${obj.apiVersion} ${obj.kind}`).toBeDefined();
      expect(
        () => new Model!(obj as never).validate(),
        `${file}: ${obj.kind} ${obj.metadata?.name}`,
      ).not.toThrow();
    }
  });

  it('the schema check is real: a wrong field type is refused', () => {
    const deployment = structuredClone(ofKind('Deployment')[0]!);
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'metrics';
    expect(() => new Deployment(deployment).validate()).toThrow(/containerPort/);
  });

  it('run a router and executors, non-root, with readiness and liveness probes on a declared port', () => {
    const deployments = ofKind('Deployment');
    const roles = deployments.map((d) => d.spec.template.spec.containers[0].args[3]);
    expect(roles.sort()).toEqual(['executor', 'router']);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(d.spec.selector.matchLabels).toEqual(
        expect.objectContaining(Object.fromEntries(Object.entries(d.spec.template.metadata.labels))),
      );
      for (const c of pod.containers) {
        const ports = new Set(c.ports.map((p: Obj) => p.name));
        for (const probe of [c.readinessProbe, c.livenessProbe]) {
          expect(probe?.httpGet?.path).toBe('/metrics');
          expect(ports.has(probe.httpGet.port)).toBe(true);
        }
        expect(c.args).toContain('--metrics');
        expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
        // Every volume it mounts is declared; the config comes from the ConfigMap.
        const volumes = new Set(pod.volumes.map((v: Obj) => v.name));
        for (const m of c.volumeMounts) expect(volumes.has(m.name)).toBe(true);
      }
      expect(pod.volumes.find((v: Obj) => v.name === 'config').configMap.name).toBe('tradenova-config');
    }
  });

  it('carry the deployment config in the ConfigMap, and the Secret holds every credential it references', () => {
    const [configMap] = ofKind('ConfigMap');
    expect(configMap!.data['config.yaml']).toBe(configText);
    const [secret] = ofKind('Secret');
    expect(Object.keys(secret!.stringData).sort()).toEqual([...new Set(envNames)].sort());
    // The CLI accepts the config once the environment is filled in.
    const env = Object.fromEntries(
      envNames.map((n) => [n, n.endsWith('_URL') ? secret!.stringData[n] : 'X1']),
    );
    const loaded = parseConfigText(configText, 'deploy/config/tradenova.yaml', { env });
    expect(loaded.config.followers.length).toBeGreaterThan(0);
    expect(loaded.config.services.kafka?.brokers).toEqual(['kafka:9092']);
  });

  it('select real pods from the Service and the disruption budgets', () => {
    const podLabels = ofKind('Deployment').map(
      (d) => d.spec.template.metadata.labels as Record<string, string>,
    );
    const selects = (selector: Record<string, string>) =>
      podLabels.some((labels) => Object.entries(selector).every(([k, v]) => labels[k] === v));
    const [service] = ofKind('Service');
    expect(selects(service!.spec.selector)).toBe(true);
    expect(service!.spec.ports[0].targetPort).toBe('metrics');
    const budgets = ofKind('PodDisruptionBudget');
    expect(budgets.map((b) => b.metadata.name).sort()).toEqual(['tradenova-executor', 'tradenova-router']);
    for (const b of budgets) expect(selects(b.spec.selector.matchLabels)).toBe(true);
  });

  it('scale executors on the consumer lag metric the executors export', async () => {
    const [hpa] = ofKind('HorizontalPodAutoscaler');
    expect(hpa!.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'tradenova-executor',
    });
    expect(ofKind('Deployment').some((d) => d.metadata.name === 'tradenova-executor')).toBe(true);
    const metric = hpa!.spec.metrics[0].external.metric;
    expect((await exportedMetricNames()).has(metric.name)).toBe(true);
    // The executors' group is <services.kafka.group>-executor.
    expect(metric.selector.matchLabels.group).toBe(`${parse(configText).services.kafka.group}-executor`);
    expect(hpa!.spec.maxReplicas).toBeLessThanOrEqual(10);
  });
});

describe('deploy/compose.yaml', () => {
  const text = readFileSync(join(deployDir, 'compose.yaml'), 'utf8');
  const compose = parse(text, { merge: true }) as Obj;

  it('validates against the Compose Specification JSON schema', () => {
    // Its $schema names draft-07 by an address Ajv does not know; Ajv's default is draft-07.
    const { $schema: _draft, ...schema } = JSON.parse(
      readFileSync(join(deployDir, 'schemas/compose-spec.schema.json'), 'utf8'),
    );
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // And the check is real: a misspelt key is refused.
    expect(validate({ services: { a: { image: 'x', restart_policy: 'always' } } })).toBe(false);
  });

  it('runs Kafka in KRaft mode, PostgreSQL, Redis, Prometheus, Grafana, a router and executors', () => {
    const services = compose.services as Record<string, Obj>;
    for (const name of ['kafka', 'postgres', 'redis', 'prometheus', 'grafana', 'router', 'executor'])
      expect(services[name], name).toBeDefined();
    expect(Object.keys(services).some((s) => /zookeeper/i.test(s))).toBe(false);
    expect(services.kafka!.environment.KAFKA_PROCESS_ROLES).toContain('controller');
    expect(services.router!.command).toEqual(expect.arrayContaining(['--role', 'router', '--metrics']));
    expect(services.executor!.command).toEqual(expect.arrayContaining(['--role', 'executor', '--metrics']));
    for (const [name, s] of Object.entries(services)) {
      const deps: string[] = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const dep of deps) expect(services[dep], `${name} -> ${dep}`).toBeDefined();
      for (const v of (s.volumes ?? []) as string[]) {
        const source = v.split(':')[0]!;
        if (source.startsWith('.'))
          expect(existsSync(join(deployDir, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes).toHaveProperty(source);
      }
      // Published ports listen on loopback only.
      for (const p of (s.ports ?? []) as string[]) expect(p, name).toMatch(/^127\.0\.0\.1:/);
    }
    // Secrets come from the environment, never written in the file.
    expect(text).not.toMatch(/PASSWORD: [^$\s]/);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(deployDir, '../Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));

  it('is multi-stage on Node 24 and runs the CLI as a non-root user', () => {
    const froms = lines.filter((l) => /^FROM /i.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:24[-.\w]* AS \w+/);
    const last = text.slice(text.lastIndexOf('\nFROM '));
    expect(last).toMatch(/COPY --from=build/);
    const users = last.match(/^USER (\S+)/gm) ?? [];
    expect(users.at(-1)).toBe('USER node');
    expect(last).toMatch(/ENTRYPOINT \["node", "\/app\/packages\/cli\/dist\/bin\.js"\]/);
    expect(text).toMatch(/npm ci/);
    expect(readFileSync(join(deployDir, '../.dockerignore'), 'utf8')).toMatch(/node_modules/);
  });
});
