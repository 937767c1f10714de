import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { ConfigError } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initCommand } from '../src/commands/init.js';
import { loadConfig } from '../src/config/load-config.js';
import { main } from '../src/main.js';
import { Vault } from '../src/secrets/vault.js';
import { captureIo } from './capture-io.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tn-init-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const noTty = () => Readable.from([]);

describe('tradenova init', () => {
  it('writes a commented config from flags that the loader accepts once its secrets are in the vault', async () => {
    const out = join(dir, 'tn.yaml');
    const c = captureIo();
    const code = await main(
      [
        'init',
        '--leader',
        'tradovate:DEMO100',
        '--follower',
        'DEMO101',
        '--follower',
        'big=tradovate:DEMO102',
        '--follower',
        'rithmic:APEX-1',
        '--broker',
        'tradovate',
        'rithmic',
        '--out',
        out,
      ],
      c.io,
    );
    // Two brokers declared: an account without "broker:" is ambiguous and refused, nothing written.
    expect(code).toBe(2);
    expect(c.stderr()).toMatch(/say which broker/);

    const ok = captureIo();
    expect(
      await initCommand(
        {
          leader: 'tradovate:DEMO100',
          follower: ['tradovate:DEMO101', 'big=tradovate:DEMO102', 'rithmic:APEX-1'],
          out,
        },
        { ...ok.io, stdin: noTty() },
      ),
    ).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# TradeNova config/);
    expect(text).toContain(`password: \${secret:tradovate_password}`);
    expect(ok.stderr()).toContain('tradenova secrets set rithmic_password');

    // A dry run loads it as written (references unresolved) ...
    const lenient = loadConfig(out, { env: {} }, { lenientReferences: true });
    expect(lenient.config.followers.map((f) => [f.name, f.broker, f.account, f.connection])).toEqual([
      ['tradovate-DEMO101', 'tradovate', 'DEMO101', 'tradovate'],
      ['big', 'tradovate', 'DEMO102', 'tradovate'],
      ['rithmic-APEX-1', 'rithmic', 'APEX-1', 'rithmic'],
    ]);
    expect(lenient.config.connections.rithmic?.options).toMatchObject({
      systemName: 'Rithmic Paper Trading',
    });
    // ... a live load names each missing secret ...
    const vaultFile = join(dir, 'v.vault');
    const key = randomBytes(32);
    Vault.create(vaultFile, { raw: key }).save();
    const env = { TRADENOVA_VAULT: vaultFile, TRADENOVA_SECRETS_KEY: key.toString('hex') };
    try {
      loadConfig(out, { env });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.message.match(/secret "([^"]+)"/)?.[1])).toEqual([
        'tradovate_username',
        'tradovate_password',
        'rithmic_user',
        'rithmic_password',
      ]);
    }
    // ... and validates fully once the secrets init listed are stored.
    const v = Vault.open(vaultFile, { raw: key });
    for (const name of ok.stderr().matchAll(/secrets set (\S+)/g)) v.set(name[1]!, `value-of-${name[1]}`);
    v.save();
    expect(loadConfig(out, { env }).config.connections.tradovate?.options.password).toBe(
      'value-of-tradovate_password',
    );
  });

  it('never overwrites a file without --force', async () => {
    const out = join(dir, 'tn.yaml');
    writeFileSync(out, 'mine\n');
    const c = captureIo();
    const flags = { leader: 'paper:L1', follower: ['paper:F1'], out };
    await expect(initCommand(flags, { ...c.io, stdin: noTty() })).rejects.toThrow(
      /exists; not overwritten \(use --force/,
    );
    expect(readFileSync(out, 'utf8')).toBe('mine\n');
    expect(await initCommand({ ...flags, force: true }, { ...c.io, stdin: noTty() })).toBe(0);
    expect(loadConfig(out, { env: {} }).config.followers[0]?.account).toBe('F1');
  });

  it('asks on a terminal', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const out = join(dir, 'asked.yaml');
    // A real stream for the prompts: readline on a terminal listens on its output.
    const stderr = new PassThrough();
    let asked = '';
    stderr.on('data', (d: Buffer) => {
      asked += d.toString();
    });
    const done = initCommand({ out }, { stdout: new PassThrough(), stderr, stdin });
    // Each line typed once its question is on screen (a line typed before it would be lost).
    for (const [prompt, line] of [
      ['Brokers you use', 'projectx'],
      ['Leader account id', 'PRAC-L'],
      ['Follower 1', 'PRAC-1'],
      ['Follower 2', 'slow=PRAC-2'],
      ['Follower 3', ''],
    ] as const) {
      await waitFor(() => asked.includes(prompt), {
        message: `the prompt "${prompt}"`,
        context: () => asked,
      });
      stdin.write(`${line}\n`);
    }
    expect(await done).toBe(0);
    expect(asked).toContain('Leader account id: ');
    const cfg = loadConfig(out, { env: {} }, { lenientReferences: true }).config;
    expect(cfg.leader).toMatchObject({ broker: 'projectx', account: 'PRAC-L', connection: 'projectx' });
    expect(cfg.followers.map((f) => f.name)).toEqual(['projectx-PRAC-1', 'slow']);
  });

  it('refuses without flags and without a terminal', async () => {
    await expect(
      initCommand({ out: join(dir, 'x.yaml') }, { ...captureIo().io, stdin: noTty() }),
    ).rejects.toThrow(/give --leader and --follower/);
  });
});

describe('tradenova init on a terminal: each answer checked as typed', () => {
  function terminal() {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stderr = new PassThrough();
    let asked = '';
    stderr.on('data', (d: Buffer) => {
      asked += d.toString();
    });
    /** Types a line once the next prompt (its text) has been printed. */
    const answer = async (prompt: string, line: string, nth = 1) => {
      await waitFor(() => asked.split(prompt).length - 1 >= nth, {
        message: `prompt "${prompt}" number ${nth}`,
        timeout: 10_000,
        interval: 5,
        context: () => asked,
      });
      stdin.write(`${line}\n`);
    };
    return { stdin, stderr, answer, asked: () => asked };
  }

  it('asks again for an unknown broker, a bad account and a duplicate, then writes a valid config', async () => {
    const t = terminal();
    const out = join(dir, 'asked.yaml');
    const done = initCommand({ out }, { stdout: new PassThrough(), stderr: t.stderr, stdin: t.stdin });
    await t.answer('Brokers you use', 'tradovat');
    await t.answer('Brokers you use', 'tradovate,paper', 2);
    await t.answer('Leader broker:account', 'oops:X');
    await t.answer('Leader broker:account', 'paper:L1', 2);
    await t.answer('Follower 1', 'paper:L1');
    await t.answer('Follower 1', '', 2);
    await t.answer('Follower 1', 'tradovate:D1', 3);
    await t.answer('Follower 2', '');
    expect(await done).toBe(0);
    expect(t.asked()).toContain('unknown broker "tradovat" (did you mean tradovate?)');
    expect(t.asked()).toMatch(/unknown broker "oops".*try again/);
    expect(t.asked()).toContain('paper:L1 is already in this config');
    expect(t.asked()).toContain('a config needs at least one follower');
    const cfg = loadConfig(out, { env: {} }, { lenientReferences: true }).config;
    expect(cfg.leader).toMatchObject({ broker: 'paper', account: 'L1' });
    expect(cfg.followers.map((f) => [f.broker, f.account])).toEqual([['tradovate', 'D1']]);
  });

  it('Ctrl-D before the end writes nothing and exits 1, not 70', async () => {
    const t = terminal();
    const out = join(dir, 'never.yaml');
    const done = initCommand({ out }, { stdout: new PassThrough(), stderr: t.stderr, stdin: t.stdin });
    await t.answer('Brokers you use', 'paper');
    await t.answer('Leader account id', 'L1');
    t.stdin.end();
    await expect(done).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/cancelled; nothing written/),
    });
    expect(() => readFileSync(out)).toThrow(/ENOENT/);
  });
});
