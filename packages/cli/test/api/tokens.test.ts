import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { resolveSigningKey } from '../../src/api/signing-key.js';
import { createToken, parseTtl, verifyToken } from '../../src/api/tokens.js';
import { Vault } from '../../src/secrets/vault.js';
import { TEST_KEY } from './api-process.js';

describe('API tokens', () => {
  it('round-trips scope, accounts, name and expiry', async () => {
    const made = await createToken(TEST_KEY, { scope: 'control', accounts: ['f01'], name: 'bot', ttlS: 600 });
    const principal = await verifyToken(TEST_KEY, made.token);
    expect(principal).toEqual({
      id: made.id,
      name: 'bot',
      scope: 'control',
      accounts: ['f01'],
      expiresAt: made.expiresAt,
    });
  });

  it('refuses alg none, another key, another audience, a bad scope', async () => {
    const none = new UnsecuredJWT({ scope: 'control' })
      .setJti('x')
      .setIssuer('tradenova')
      .setAudience('tradenova-api')
      .setExpirationTime('1h')
      .encode();
    await expect(verifyToken(TEST_KEY, none)).rejects.toMatchObject({ status: 401 });
    const other = await createToken(new TextEncoder().encode('x'.repeat(40)), { scope: 'read', ttlS: 60 });
    await expect(verifyToken(TEST_KEY, other.token)).rejects.toMatchObject({ status: 401 });
    const sign = (claims: Record<string, unknown>, audience: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setJti('id-1')
        .setIssuer('tradenova')
        .setAudience(audience)
        .setExpirationTime('1h')
        .sign(TEST_KEY);
    await expect(verifyToken(TEST_KEY, await sign({ scope: 'read' }, 'elsewhere'))).rejects.toMatchObject({
      status: 401,
    });
    await expect(verifyToken(TEST_KEY, await sign({ scope: 'admin' }, 'tradenova-api'))).rejects.toThrow(
      /no valid scope/,
    );
    await expect(
      verifyToken(TEST_KEY, await sign({ scope: 'read' }, 'tradenova-api')),
    ).resolves.toMatchObject({
      scope: 'read',
    });
  });

  it('parses --ttl and refuses nonsense', () => {
    expect(parseTtl('90s')).toBe(90);
    expect(parseTtl('30m')).toBe(1800);
    expect(parseTtl('8h')).toBe(28_800);
    expect(parseTtl('7d')).toBe(604_800);
    expect(parseTtl('120')).toBe(120);
    for (const bad of ['0', '-1h', '1w', 'soon', '400d']) expect(() => parseTtl(bad)).toThrow(/--ttl/);
  });

  it('takes the key from the environment and refuses one under 32 bytes without quoting it', () => {
    const dir = { TRADENOVA_VAULT: '/nonexistent/vault' };
    expect(resolveSigningKey({ ...dir, TRADENOVA_API_SIGNING_KEY: 'k'.repeat(32) })).toHaveLength(32);
    expect(() => resolveSigningKey({ ...dir, TRADENOVA_API_SIGNING_KEY: 'hunter2-secret' })).toThrow(
      /TN_ERR_API_KEY_MISSING: TRADENOVA_API_SIGNING_KEY is 14 bytes/,
    );
    try {
      resolveSigningKey({ ...dir, TRADENOVA_API_SIGNING_KEY: 'hunter2-secret' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
    expect(() => resolveSigningKey(dir)).toThrow(/needs a signing key/);
  });

  it('takes the vault secret api_signing_key when the environment has none', () => {
    const folder = mkdtempSync(join(tmpdir(), 'tn-api-vault-'));
    try {
      const file = join(folder, 'secrets.vault');
      const raw = randomBytes(32);
      const vault = Vault.create(file, { raw });
      vault.set('api_signing_key', 'v'.repeat(40));
      vault.save();
      const env = { TRADENOVA_VAULT: file, TRADENOVA_SECRETS_KEY: raw.toString('base64') };
      expect(new TextDecoder().decode(resolveSigningKey(env))).toBe('v'.repeat(40));
      vault.set('api_signing_key', 'short');
      vault.save();
      expect(() => resolveSigningKey(env)).toThrow(/\$\{secret:api_signing_key\} is 5 bytes/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
