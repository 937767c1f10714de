import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { ConfigError } from '@tradenova/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secretsListCommand, secretsRmCommand, secretsSetCommand } from '../../src/commands/secrets.js';
import { parseConfigText } from '../../src/config/load-config.js';
import { promptHidden } from '../../src/secrets/prompt.js';
import { vaultSecrets } from '../../src/secrets/resolver.js';
import { Vault, VaultError } from '../../src/secrets/vault.js';
import { captureIo } from '../capture-io.js';

// Low scrypt cost for the tests that make many vaults; the default (2^17) is exercised once below.
const CHEAP = { N: 2 ** 12, r: 8, p: 1 };
const PASSWORD = 'pw-Ü-7c1e9d0a4f-"quoted"';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tn-vault-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function io(env: NodeJS.ProcessEnv, stdinText?: string) {
  const c = captureIo();
  return { ...c, sio: { ...c.io, env, stdin: Readable.from(stdinText === undefined ? [] : [stdinText]) } };
}

describe('the vault file', () => {
  it('round-trips secrets, writes mode 0600 and holds neither names nor values in clear', () => {
    const file = join(dir, 'sub', 'secrets.vault');
    const v = Vault.create(file, { passphrase: 'correct horse battery' }, CHEAP);
    v.set('tv_password', PASSWORD);
    v.save();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('tv_password');
    expect(text).not.toContain('7c1e9d0a4f');
    expect(Vault.open(file, { passphrase: 'correct horse battery' }).get('tv_password')).toBe(PASSWORD);
  });

  it('refuses a wrong passphrase and an altered file alike, without echoing either', () => {
    const file = join(dir, 'v');
    const v = Vault.create(file, { passphrase: 'correct horse battery' }, CHEAP);
    v.set('a', 'x');
    v.save();
    const wrong = () => Vault.open(file, { passphrase: 'wrong horse battery' });
    expect(wrong).toThrow(VaultError);
    expect(wrong).toThrow(/TN_ERR_VAULT_LOCKED|wrong passphrase or key, or the file was altered/);
    try {
      wrong();
    } catch (error) {
      expect((error as VaultError).code).toBe('TN_ERR_VAULT_LOCKED');
      expect((error as Error).message).not.toContain('wrong horse');
    }
    // Lowering the scrypt cost in the header (a downgrade) breaks authentication too.
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    stored.kdf.N = 2 ** 10;
    writeFileSync(file, JSON.stringify(stored));
    expect(() => Vault.open(file, { passphrase: 'correct horse battery' })).toThrow(/altered/);
  });

  it('opens with the default scrypt cost and with a raw key, and says which key a vault wants', () => {
    const file = join(dir, 'v');
    Vault.create(file, { passphrase: 'correct horse battery' }).save();
    expect(Vault.open(file, { passphrase: 'correct horse battery' }).names()).toEqual([]);
    expect(() => Vault.open(file, { raw: randomBytes(32) })).toThrow(/made with a passphrase/);
    const rawFile = join(dir, 'raw');
    const key = randomBytes(32);
    const r = Vault.create(rawFile, { raw: key });
    r.set('k', 'v');
    r.save();
    expect(Vault.open(rawFile, { raw: key }).get('k')).toBe('v');
    expect(() => Vault.open(rawFile, { passphrase: 'x' })).toThrow(/TRADENOVA_SECRETS_KEY/);
  });
});

describe('tradenova secrets set | list | rm', () => {
  it('sets from stdin, lists names only, removes, and creates the vault with the environment key', async () => {
    const key = randomBytes(32).toString('base64');
    const env = { TRADENOVA_VAULT: join(dir, '.tradenova', 'secrets.vault'), TRADENOVA_SECRETS_KEY: key };
    const set = io(env, `${PASSWORD}\n`);
    expect(await secretsSetCommand('tv_password', {}, set.sio)).toBe(0);
    expect(set.stderr()).toContain('stored secret "tv_password"');
    expect(await secretsSetCommand('webhook_token', {}, io(env, 'tok-abcdefabcdefabcdef').sio)).toBe(0);
    const list = io(env);
    expect(await secretsListCommand({}, list.sio)).toBe(0);
    expect(list.stdout()).toBe('tv_password\nwebhook_token\n');
    // One trailing newline from `echo` is not part of the value.
    expect(vaultSecrets(env).secret('tv_password')).toBe(PASSWORD);
    const rm = io(env);
    expect(await secretsRmCommand('webhook_token', {}, rm.sio)).toBe(0);
    expect(await secretsRmCommand('webhook_token', {}, io(env).sio)).toBe(1);
    const after = io(env);
    await secretsListCommand({ json: true }, after.sio);
    expect(JSON.parse(after.stdout())).toEqual(['tv_password']);
    for (const out of [set, list, rm, after]) expect(out.stdout() + out.stderr()).not.toContain(PASSWORD);
  });

  it('refuses to create a vault without a key, and an empty value', async () => {
    const env = { TRADENOVA_VAULT: join(dir, 'v') };
    await expect(secretsSetCommand('a', {}, io(env, 'x').sio)).rejects.toThrow(
      /TRADENOVA_SECRETS_PASSPHRASE/,
    );
    const withKey = { ...env, TRADENOVA_SECRETS_PASSPHRASE: 'long enough passphrase' };
    await expect(secretsSetCommand('a', {}, io(withKey, '').sio)).rejects.toThrow(/empty/);
    await expect(secretsSetCommand('bad name', {}, io(withKey, 'x').sio)).rejects.toThrow(/secret name/);
  });
});

describe('the hidden prompt', () => {
  it('reads a line from a terminal without echoing it', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const out = captureIo();
    const answer = promptHidden('Passphrase: ', stdin, out.io.stderr);
    stdin.write('s3cret-typed\r');
    expect(await answer).toBe('s3cret-typed');
    expect(out.stderr()).toBe('Passphrase: \n');
  });
});

describe(`\${secret:name} in a config`, () => {
  const text = `leader:
  account: L1
connections:
  tv:
    broker: tradovate
    options:
      password: \${secret:tv_password}
followers:
  - name: a
    account: A1
    connection: tv
    broker: tradovate
`;

  function vaultEnv(): NodeJS.ProcessEnv {
    const key = randomBytes(32);
    const file = join(dir, 'secrets.vault');
    const v = Vault.create(file, { raw: key });
    v.set('tv_password', PASSWORD);
    v.save();
    return { TRADENOVA_VAULT: file, TRADENOVA_SECRETS_KEY: key.toString('hex') };
  }

  it('resolves from the vault and lists the value among those to redact', () => {
    const loaded = parseConfigText(text, 'cfg.yaml', { env: vaultEnv() });
    expect(loaded.config.connections.tv?.options.password).toBe(PASSWORD);
    expect(loaded.secrets).toContain(PASSWORD);
  });

  it('names file:line:col and the secret when it is missing', () => {
    const env = vaultEnv();
    try {
      parseConfigText(text.replace('tv_password', 'tv_pass'), 'cfg.yaml', { env });
      expect.unreachable();
    } catch (error) {
      const issue = (error as ConfigError).issues[0]!;
      expect(issue).toMatchObject({
        file: 'cfg.yaml',
        line: 7,
        column: 17,
        path: 'connections.tv.options.password',
      });
      expect(issue.message).toContain('secret "tv_pass" is not in the vault');
      expect(issue.message).toContain('tradenova secrets set tv_pass');
    }
  });

  it('says the vault is locked when no key is in the environment, and that there is no vault when there is none', () => {
    const env = vaultEnv();
    delete env.TRADENOVA_SECRETS_KEY;
    expect(() => parseConfigText(text, 'cfg.yaml', { env })).toThrow(
      /cfg\.yaml:7:17: connections\.tv\.options\.password: cannot read secret "tv_password".*TRADENOVA_SECRETS_PASSPHRASE/,
    );
    expect(() => parseConfigText(text, 'cfg.yaml', { env: { TRADENOVA_VAULT: join(dir, 'none') } })).toThrow(
      /there is no vault at/,
    );
    // A dry run needs no credentials: a locked vault leaves the reference as written.
    const lenient = parseConfigText(text, 'cfg.yaml', { env }, { lenientReferences: true });
    expect(lenient.unresolved).toEqual([`\${secret:tv_password}`]);
  });
});
