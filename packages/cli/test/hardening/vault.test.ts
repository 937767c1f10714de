import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secretsSetCommand } from '../../src/commands/secrets.js';
import { main } from '../../src/main.js';
import { MIN_PASSPHRASE_LENGTH, SCRYPT_BOUNDS, Vault, VaultError } from '../../src/secrets/vault.js';
import { captureIo } from '../capture-io.js';

const CHEAP = { N: 2 ** 12, r: 8, p: 1 };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tn-vault-h-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof VaultError) return error.code;
    throw error;
  }
  return undefined;
}

describe('a vault file with edited scrypt settings', () => {
  const edits: [string, Record<string, unknown>][] = [
    ['N not a power of two', { N: 4097 }],
    ['N huge', { N: 2 ** 40 }],
    ['N tiny', { N: 2 }],
    ['r zero', { r: 0 }],
    ['r huge', { r: 1_000_000 }],
    ['p huge', { p: 2 ** 30 }],
    ['memory past the bound', { N: 2 ** SCRYPT_BOUNDS.maxLog2N, r: 16, p: 4 }],
    ['negative N', { N: -1024 }],
  ];
  for (const [name, edit] of edits) {
    it(`is locked, not a crash: ${name}`, () => {
      const file = join(dir, 'v');
      const v = Vault.create(file, { passphrase: 'correct horse battery' }, CHEAP);
      v.set('a', 'x');
      v.save();
      const stored = JSON.parse(readFileSync(file, 'utf8'));
      stored.kdf = { ...stored.kdf, ...edit };
      writeFileSync(file, JSON.stringify(stored));
      expect(codeOf(() => Vault.open(file, { passphrase: 'correct horse battery' }))).toBe(
        'TN_ERR_VAULT_LOCKED',
      );
    });
  }

  it('answers exit 2 with TN_ERR_VAULT_LOCKED through the CLI', async () => {
    const file = join(dir, 'v');
    const v = Vault.create(file, { passphrase: 'correct horse battery' }, CHEAP);
    v.set('a', 'x');
    v.save();
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    stored.kdf.N = 3;
    writeFileSync(file, JSON.stringify(stored));
    const c = captureIo();
    const env = { TRADENOVA_VAULT: file, TRADENOVA_SECRETS_PASSPHRASE: 'correct horse battery' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const code = await main(['secrets', 'list'], c.io);
      expect(c.stderr()).toMatch(/TN_ERR_VAULT_LOCKED/);
      expect(code).toBe(2);
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    }
  });
});

describe('the passphrase minimum', () => {
  it('holds for a passphrase from the environment too', async () => {
    const file = join(dir, 'new.vault');
    const c = captureIo();
    const sio = {
      ...c.io,
      env: { TRADENOVA_VAULT: file, TRADENOVA_SECRETS_PASSPHRASE: 'x' },
      stdin: Readable.from(['value']),
    };
    await expect(secretsSetCommand('a', {}, sio)).rejects.toThrow(/needs 8 characters or more/);
    expect(() => Vault.create(file, { passphrase: 'x'.repeat(MIN_PASSPHRASE_LENGTH - 1) }, CHEAP)).toThrow(
      /8 characters/,
    );
    expect(() => Vault.create(file, { passphrase: 'x'.repeat(MIN_PASSPHRASE_LENGTH) }, CHEAP)).not.toThrow();
  });
});
