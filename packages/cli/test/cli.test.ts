import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../src/config/json-schema.js';
import { main } from '../src/main.js';
import { captureIo } from './capture-io.js';

const root = resolve(import.meta.dirname, '../../..');
const example = join(root, 'examples/paper.yaml');
const session = join(root, 'examples/signals/session.jsonl');

/** Runs the CLI in-process and captures what it prints. */
async function run(args: string[]) {
  const c = captureIo();
  const code = await main(args, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

describe('tradenova replay', () => {
  it('copies the example session to 20 followers and ends clean', async () => {
    const { code, stdout } = await run(['replay', session, '-c', example, '--json']);
    const report = JSON.parse(stdout);
    expect(report.accounts).toHaveLength(20);
    expect(report.violations).toBe(0);
    expect(report.signals.errors).toEqual([]);
    expect(report.leader.positions).toEqual([]);
    for (const a of report.accounts) {
      expect(
        a.positions.every((p: { netQty: number }) => p.netQty === 0),
        a.name,
      ).toBe(true);
      expect(a.drift, a.name).toEqual([]);
    }
    expect(code).toBe(0);
  });

  it('gives byte-identical JSON on two runs', async () => {
    const a = await run(['replay', session, '-c', example, '--json']);
    const b = await run(['replay', session, '-c', example, '--json']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.length).toBeGreaterThan(1000);
  });

  it('reads the same session from CSV to the same report', async () => {
    const csv = await run(['replay', join(root, 'examples/signals/session.csv'), '-c', example, '--json']);
    const jsonl = await run(['replay', session, '-c', example, '--json']);
    // Only the events' input lines differ: the CSV file has a header row, so each record sits one line lower.
    const fromCsv = JSON.parse(csv.stdout);
    const fromJsonl = JSON.parse(jsonl.stdout);
    expect(fromCsv.events.map((e: { line: number }) => e.line - 1)).toEqual(
      fromJsonl.events.map((e: { line: number }) => e.line),
    );
    for (const r of [fromCsv, fromJsonl]) for (const e of r.events) e.line = 0;
    expect(JSON.stringify(fromCsv)).toBe(JSON.stringify(fromJsonl));
  });

  it('prints a readable summary by default', async () => {
    const { code, stdout } = await run(['replay', session, '-c', example]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/TradeNova replay of .*session\.jsonl/);
    expect(stdout).toMatch(/f11-nq-as-mnq/);
    expect(stdout).toMatch(/Copy latency \(virtual clock/);
  });

  it('records bad lines by line and field, goes on, and exits 1', async () => {
    const { code, stdout } = await run([
      'replay',
      join(root, 'examples/signals/bad-lines.jsonl'),
      '-c',
      example,
      '--json',
    ]);
    const report = JSON.parse(stdout);
    const byLine = Object.fromEntries(
      report.signals.errors.map((e: { line: number; field: string }) => [e.line, e.field]),
    );
    expect(byLine).toMatchObject({
      3: 'side',
      4: 'qty',
      5: 'action',
      6: 'limitPrice',
      7: 'instrument',
      8: 'leaderOrderId',
      9: '(line)',
      10: 'signalId',
    });
    // The good lines still copied: line 2's buy and line 11's flatten reached followers.
    expect(report.signals.copied).toBe(2);
    expect(code).toBe(1);
  });

  it('stops at the first bad line with --strict (exit 2)', async () => {
    const { code, stderr } = await run([
      'replay',
      join(root, 'examples/signals/bad-lines.jsonl'),
      '-c',
      example,
      '--strict',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad-lines\.jsonl:3: side/);
  });

  it('exits 1 when a risk rule blocked an order, naming the reason', async () => {
    const { code, stdout } = await run([
      'replay',
      join(root, 'examples/signals/risk-breach.jsonl'),
      '-c',
      example,
      '--json',
    ]);
    const report = JSON.parse(stdout);
    const reasons = new Set(
      report.accounts.flatMap((a: { blocked: { reason: string }[] }) => a.blocked.map((b) => b.reason)),
    );
    expect([...reasons].sort()).toEqual(['LOCKED_OUT', 'MAX_CONTRACTS', 'OUTSIDE_TRADING_WINDOW']);
    const topstep = report.accounts.find((a: { name: string }) => a.name === 'f16-topstep');
    expect(topstep.status.join('\n')).toMatch(/locked-out: DAILY_LOSS_LIMIT/);
    expect(topstep.positions.every((p: { netQty: number }) => p.netQty === 0)).toBe(true);
    expect(report.violations).toBe(4);
    expect(code).toBe(1);
  });

  it('compares with --expect and shows the difference, matching accounts by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-expect-'));
    const out = join(dir, 'report.json');
    await run(['replay', session, '-c', example, '--json', '--out', out]);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect((await run(['replay', session, '-c', example, '--expect', out])).code).toBe(0);
    const third = report.accounts[2];
    third.realizedPnl = '999.99';
    writeFileSync(out, JSON.stringify({ accounts: [third] }));
    const { code, stderr } = await run(['replay', session, '-c', example, '--expect', out]);
    expect(code).toBe(1);
    expect(stderr).toContain(`accounts[name=${third.name}].realizedPnl: expected "999.99"`);
    expect(stderr).not.toMatch(/accounts\.length/);
  });

  it("passes docs/cli.md's one-account --expect example", async () => {
    const docs = readFileSync(join(root, 'docs/cli.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## `--expect`'));
    const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(json).toBeDefined();
    const file = join(mkdtempSync(join(tmpdir(), 'tn-expect-')), 'expected.json');
    writeFileSync(file, json ?? '');
    const { code, stdout, stderr } = await run(['replay', session, '-c', example, '--expect', file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`Matches ${file}`);
  });

  it('reads and checks the expectation before replaying: a bad one is exit 2 with file:line:col', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-expect-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{\n  "violations": 0,\n  oops\n}\n');
    const broken = await run(['replay', session, '-c', example, '--json', '--expect', bad]);
    expect(broken.code).toBe(2);
    expect(broken.stdout).toBe(''); // no report: the replay never ran
    expect(broken.stderr).toMatch(
      new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:3: not valid JSON`),
    );
    writeFileSync(bad, '[1, 2]');
    expect((await run(['replay', session, '-c', example, '--expect', bad])).stderr).toMatch(/a JSON object/);
    const missing = await run(['replay', session, '-c', example, '--expect', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`file not found: ${join(dir, 'nope.json')}`);
  });

  it('exits 2 on a missing file, naming it', async () => {
    const { code, stderr } = await run(['replay', '/no/such/file.jsonl', '-c', example]);
    expect(code).toBe(2);
    expect(stderr).toContain('file not found: /no/such/file.jsonl');
  });
});

describe('tradenova validate', () => {
  it('accepts the example', async () => {
    const { code, stdout } = await run(['validate', '-c', example]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/valid .*20 followers/);
  });

  it('prints every problem with file:line:col and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-validate-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'leader:\n  account: L\nfollowers:\n  - name: x\n    account: A\n    rounding: sideways\n',
    );
    const { code, stderr } = await run(['validate', '-c', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file}:6:15: followers[0].rounding:`);
  });
});

describe('the config JSON Schema', () => {
  it('is committed up to date in packages/cli/schema', () => {
    const committed = JSON.parse(readFileSync(join(root, 'packages/cli/schema/config.schema.json'), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });
});

describe('the built binary', () => {
  it('runs the README replay command and exits 0', async () => {
    const bin = join(root, 'packages/cli/dist/bin.js');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, 'replay', session, '-c', example, '--json'],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    expect(JSON.parse(stdout).accounts).toHaveLength(20);
  });
});
