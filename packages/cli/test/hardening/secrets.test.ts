import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { captureIo } from '../capture-io.js';

const root = resolve(import.meta.dirname, '../../../..');
const session = join(root, 'examples/signals/session.jsonl');

/** Distinct canary values, one per config field they are planted in through `${env:}`. */
const CANARIES: Record<string, string> = {
  TN_CANARY_LEADER_NAME: 'canaryLeaderName7f3a',
  TN_CANARY_LEADER_ACCT: 'canaryLeaderAcct91bd',
  TN_CANARY_F1_NAME: 'canaryFollowerName2c44',
  TN_CANARY_F1_ACCT: 'canaryFollowerAcct5e10',
  TN_CANARY_F2_ACCT: 'canaryFollowerAcct8d72',
  TN_CANARY_FIRM: 'canaryFirm0b6e',
};

const config = `leader:
  name: \${env:TN_CANARY_LEADER_NAME}
  account: \${env:TN_CANARY_LEADER_ACCT}
followers:
  - name: \${env:TN_CANARY_F1_NAME}
    account: \${env:TN_CANARY_F1_ACCT}
    firm: \${env:TN_CANARY_FIRM}
    scaling: { mode: multiplier, factor: 2 }
  - name: plain
    account: \${env:TN_CANARY_F2_ACCT}
    scaling: { mode: equity, leaderEquity: 50000 }
services:
  journal: { enabled: false }
`;

let file: string;
beforeAll(() => {
  file = join(mkdtempSync(join(tmpdir(), 'tn-canary-')), 'cfg.yaml');
  writeFileSync(file, config);
  Object.assign(process.env, CANARIES);
});
afterAll(() => {
  for (const k of Object.keys(CANARIES)) delete process.env[k];
});

async function run(args: string[]) {
  const c = captureIo();
  const code = await main(args, c.io);
  return { code, out: c.stdout() + c.stderr() };
}

function expectNoCanary(channel: string, text: string) {
  for (const value of Object.values(CANARIES))
    expect(text.includes(value), `${channel} prints ${value}`).toBe(false);
}

describe('values from env and secret references never print', () => {
  it('in every output of replay, accounts, flatten and validate (text and JSON)', async () => {
    const outputs: [string, string[]][] = [
      ['replay --json', ['replay', session, '-c', file, '--json']],
      ['replay', ['replay', session, '-c', file]],
      ['accounts --json', ['accounts', '-c', file, '--json']],
      ['accounts', ['accounts', '-c', file]],
      ['flatten --json', ['flatten', '-c', file, '--yes', '--json']],
      ['validate', ['validate', '-c', file]],
      ['validate --json', ['validate', '-c', file, '--json']],
    ];
    for (const [channel, args] of outputs) {
      const { code, out } = await run(args);
      expect(code, `${channel}: ${out.slice(0, 400)}`).toBeLessThan(2);
      expect(out.length, channel).toBeGreaterThan(0);
      expectNoCanary(channel, out);
      if (channel.startsWith('replay')) expect(out).toContain('[redacted]');
    }
  });
});
