import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUILT, runCli } from './cli-process.js';

// Needs no running service: each case points at a port where nothing listens.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tn-startup-'));
  writeFileSync(
    join(dir, 'config.yaml'),
    'leader: { broker: paper, account: L1 }\nfollowers:\n  - { name: f1, broker: paper, account: P1 }\n',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it.skipIf(!BUILT)(
  'an unreachable journal database stops `run` with exit 2, naming postgres and where, never the password',
  () => {
    const r = runCli(
      [
        'run',
        '-c',
        'config.yaml',
        '--json',
        '--duration',
        '1',
        '--journal',
        'postgres://tn:s3cret-pw@127.0.0.1:9/tn',
      ],
      dir,
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      'TN_ERR_SERVICE_UNAVAILABLE: postgres is not reachable at postgres://tn:***@127.0.0.1:9/tn',
    );
    expect(r.stderr + r.stdout).not.toContain('s3cret-pw');
    // Nothing was started: no event was printed.
    expect(r.stdout).toBe('');
  },
);

it.skipIf(!BUILT)('an unreachable Redis stops `demo` with exit 2, naming redis and where', () => {
  const r = runCli(
    ['demo', '--json', '--duration', '1', '--no-journal', '--redis', 'redis://:pw-123@127.0.0.1:9'],
    dir,
  );
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(
    /TN_ERR_SERVICE_UNAVAILABLE: redis is not reachable at redis:\/\/:\*\*\*@127\.0\.0\.1:9/,
  );
  expect(r.stderr).not.toContain('pw-123');
});

it.skipIf(!BUILT)('a scale-out role without Kafka is refused with the setting to add', () => {
  const r = runCli(['run', '-c', 'config.yaml', '--role', 'executor', '--no-journal'], dir);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('--role executor needs Kafka: set services.kafka.brokers');
});

it.skipIf(!BUILT)('two processes on one embedded journal: the second is refused, naming the first', () => {
  writeFileSync(join(dir, 'journal.lock'), String(process.pid));
  try {
    const r = runCli(['run', '-c', 'config.yaml', '--json', '--duration', '1', '--journal', 'journal'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`is in use by process ${process.pid}`);
  } finally {
    rmSync(join(dir, 'journal.lock'));
  }
});
