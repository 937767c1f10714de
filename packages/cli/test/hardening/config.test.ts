import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '@tradenova/core';
import { describe, expect, it } from 'vitest';
import { MAX_LISTED_ISSUES, parseConfigText } from '../../src/config/load-config.js';
import { main } from '../../src/main.js';
import { captureIo } from '../capture-io.js';

const root = resolve(import.meta.dirname, '../../../..');
const base = `leader:
  account: L1
followers:
  - name: a
    account: A1
`;

async function run(args: string[]) {
  const c = captureIo();
  const code = await main(args, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tn-harden-'));
  const path = join(dir, 'cfg.yaml');
  writeFileSync(path, text);
  return path;
}

function issuesOf(text: string) {
  try {
    parseConfigText(text, 'cfg.yaml', { env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected the config to be invalid');
}

describe('hostile configs', () => {
  it('answers a YAML alias bomb with exit 2 and the place, not exit 70', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const path = file(`${levels.join('\n')}\n${base}`);
    const { code, stderr } = await run(['validate', '-c', path]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cfg\.yaml:3:\d+: \(root\): YAML: aliases expand too far/);
  });

  it('names each of 20,000 unknown keys at most once, in bounded output', async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `  k${i}: 1`).join('\n');
    const path = file(base.replace('leader:\n', `leader:\n${keys}\n`));
    const { code, stderr } = await run(['validate', '-c', path]);
    expect(code).toBe(2);
    expect(stderr.length).toBeLessThan(20_000);
    const lines = stderr.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(MAX_LISTED_ISSUES + 2);
    expect(lines[0]).toMatch(/20000 problem\(s\)/);
    expect(lines.at(-1)).toMatch(/and \d+ more problem/);
    // Each line names one key; no line carries the list of the others. Only
    // `leader.kN` counts: the temporary folder's random name can hold `k7` too.
    for (const line of lines.slice(1, -1)) expect(new Set(line.match(/leader\.k\d+/g)).size).toBe(1);
    expect(stderr).toMatch(/cfg\.yaml:2:3: leader\.k0: unknown key/);
  });

  it('refuses connection: __proto__ and other inherited names', () => {
    for (const name of ['__proto__', 'toString', 'constructor']) {
      const issues = issuesOf(base.replace('account: A1', `account: A1\n    connection: ${name}`));
      expect(issues.map((i) => i.path)).toContain('followers[0].connection');
    }
    const leader = issuesOf(base.replace('account: L1', 'account: L1\n  connection: nope'));
    expect(leader[0]).toMatchObject({ path: 'leader.connection', line: 3 });
  });

  it("refuses a follower whose broker contradicts its connection's broker", () => {
    const text = `${base}    broker: tradovate\n    connection: px\nconnections:\n  px:\n    broker: projectx\n`;
    const [issue] = issuesOf(text);
    expect(issue).toMatchObject({ path: 'followers[0].broker', line: 6, column: 13 });
    expect(issue?.message).toMatch(/contradicts connection "px"/);
    // Leaving broker out (or agreeing) is fine.
    expect(() =>
      parseConfigText(text.replace('    broker: tradovate\n', ''), 'c.yaml', { env: {} }),
    ).not.toThrow();
  });

  it('validate refuses unknown broker names and bad adapter options, as run does', async () => {
    const path = file(
      `${base.replace('account: L1', 'account: L1\n  broker: tradovat')}    connection: fx\nconnections:\n  fx:\n    broker: fix\n    options: { host: 127.0.0.1, port: -4 }\n`,
    );
    const { code, stdout } = await run(['validate', '-c', path, '--json']);
    expect(code).toBe(2);
    const out = JSON.parse(stdout);
    expect(out.valid).toBe(false);
    const paths = out.problems.map((p: { path: string }) => p.path);
    expect(paths).toContain('leader.broker');
    expect(out.problems.find((p: { path: string }) => p.path === 'leader.broker')).toMatchObject({
      line: 3,
      col: 11,
      message: expect.stringMatching(/unknown broker "tradovat"/),
    });
    expect(paths.some((p: string) => p.startsWith('connections.fx.options'))).toBe(true);
  });

  it('validate --json lists nothing for the examples, which stay valid', async () => {
    const names = ['FIX', 'PROJECTX', 'RITHMIC', 'SIERRA', 'TRADOVATE'].flatMap((b) =>
      ['PASSWORD', 'USERNAME', 'API_KEY', 'USER', 'CID', 'SECRET'].map((k) => `${b}_${k}`),
    );
    for (const n of names) process.env[n] ??= 'placeholder-1';
    for (const name of [
      'paper',
      'demo',
      'tradovate',
      'projectx',
      'rithmic',
      'fix',
      'sierrachart',
      'ninjatrader',
    ]) {
      const { code, stdout } = await run(['validate', '-c', join(root, `examples/${name}.yaml`), '--json']);
      expect(JSON.parse(stdout), name).toMatchObject({ valid: true, problems: [] });
      expect(code).toBe(0);
    }
  });
});

describe('risk rules the engine would refuse at start', () => {
  it('are refused by the loader (validate and run alike), located', () => {
    const text = `${base}    risk: { timezone: Mars/Base, dailyLossLimit: -5 }\n`;
    const [issue] = issuesOf(text);
    expect(issue).toMatchObject({ path: 'followers[0].risk.timezone', line: 6 });
    expect(issue?.message).toMatch(/unknown time zone "Mars\/Base"/);
    const loss = issuesOf(`${base}    risk: { dailyLossLimit: -5 }\n`);
    expect(loss[0]).toMatchObject({
      path: 'followers[0].risk.dailyLossLimit',
      message: 'must be more than 0, got -5',
    });
  });
});

describe('validate checks the price feed options as run does', () => {
  it('refuses a marketData option the dxFeed schema refuses', async () => {
    const path = file(`${base}marketData:\n  source: dxfeed\n  options: { staleAfterMs: -1 }\n`);
    const { code, stdout } = await run(['validate', '-c', path, '--json']);
    expect(code).toBe(2);
    const out = JSON.parse(stdout);
    expect(out.problems.some((p: { path: string }) => p.path.startsWith('marketData.options'))).toBe(true);
  });
});
