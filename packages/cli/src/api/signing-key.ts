import { CliError } from '../errors.js';
import { vaultPath } from '../secrets/key.js';
import { vaultSecrets } from '../secrets/resolver.js';
import { Vault } from '../secrets/vault.js';
import { ApiErrorCode } from './errors.js';

/** The environment variable that holds the API's signing key. */
export const SIGNING_KEY_ENV = 'TRADENOVA_API_SIGNING_KEY';
/** The vault secret that holds it when the environment does not (`${secret:api_signing_key}`). */
export const SIGNING_KEY_SECRET = 'api_signing_key';
/** HS256 wants a key at least as long as its hash: shorter keys are refused. */
export const MIN_SIGNING_KEY_BYTES = 32;

/**
 * The key the API signs and checks tokens with: `TRADENOVA_API_SIGNING_KEY`, else the vault's
 * `api_signing_key`. None, or one under 32 bytes, stops the command with a clear error
 * (the key's text is never quoted).
 */
export function resolveSigningKey(env: NodeJS.ProcessEnv): Uint8Array {
  let text = env[SIGNING_KEY_ENV];
  let where = SIGNING_KEY_ENV;
  if (text === undefined || text === '') {
    const file = vaultPath(env);
    if (Vault.exists(file)) {
      text = vaultSecrets(env, { file }).secret(SIGNING_KEY_SECRET);
      where = `\${secret:${SIGNING_KEY_SECRET}}`;
    }
  }
  if (text === undefined || text === '') {
    throw new CliError(
      `${ApiErrorCode.KeyMissing}: the API needs a signing key: set ${SIGNING_KEY_ENV} (at least ${MIN_SIGNING_KEY_BYTES} bytes, e.g. openssl rand -base64 48) or store it with: tradenova secrets set ${SIGNING_KEY_SECRET}`,
    );
  }
  const key = new TextEncoder().encode(text);
  if (key.length < MIN_SIGNING_KEY_BYTES) {
    throw new CliError(
      `${ApiErrorCode.KeyMissing}: ${where} is ${key.length} bytes; the API needs at least ${MIN_SIGNING_KEY_BYTES} (e.g. openssl rand -base64 48)`,
    );
  }
  return key;
}
