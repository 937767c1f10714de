import { resolve } from 'node:path';
import { ErrorCode } from '@tradenova/core';
import { promptHidden } from './prompt.js';
import { MIN_PASSPHRASE_LENGTH, Vault, VaultError, type VaultKey } from './vault.js';

/** Environment variables the vault reads. */
export const VAULT_ENV = {
  /** Path of the vault file. */
  file: 'TRADENOVA_VAULT',
  /** A 32-byte AES key as base64 or 64 hex digits (servers, CI): no scrypt. */
  key: 'TRADENOVA_SECRETS_KEY',
  /** A passphrase, derived with scrypt (the same as typing it at the prompt). */
  passphrase: 'TRADENOVA_SECRETS_PASSPHRASE',
} as const;

/** Where the vault file is when nothing says otherwise, relative to the current folder. */
export const DEFAULT_VAULT_PATH = '.tradenova/secrets.vault';

/** The vault file: `--vault`, else `TRADENOVA_VAULT`, else `.tradenova/secrets.vault` in the current folder. */
export function vaultPath(env: NodeJS.ProcessEnv, flag?: string, cwd = process.cwd()): string {
  return resolve(cwd, flag ?? env[VAULT_ENV.file] ?? DEFAULT_VAULT_PATH);
}

/** The key the environment gives, if any: `TRADENOVA_SECRETS_KEY` wins over `TRADENOVA_SECRETS_PASSPHRASE`. */
export function keyFromEnv(env: NodeJS.ProcessEnv, file: string): VaultKey | undefined {
  const raw = env[VAULT_ENV.key];
  if (raw !== undefined && raw !== '') return { raw: decodeRawKey(raw, file) };
  const passphrase = env[VAULT_ENV.passphrase];
  if (passphrase !== undefined && passphrase !== '') return { passphrase };
  return undefined;
}

function decodeRawKey(text: string, file: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t))
    return Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
  throw new VaultError(
    ErrorCode.VaultKeyMissing,
    file,
    `${VAULT_ENV.key} is neither base64 nor 64 hex digits (make one: openssl rand -base64 32)`,
  );
}

/** Terminal streams for the passphrase prompt; absent when the caller must not ask. */
export interface PromptIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

/** The message when no key is at hand. */
export function missingKeyMessage(): string {
  return `locked: set ${VAULT_ENV.passphrase} (or ${VAULT_ENV.key}), or run on a terminal to be asked for the passphrase`;
}

/**
 * Opens an existing vault with the environment's key, or by asking for the
 * passphrase on a terminal when `prompt` is given and stdin is a TTY.
 */
export async function unlockVault(file: string, env: NodeJS.ProcessEnv, prompt?: PromptIo): Promise<Vault> {
  const fromEnv = keyFromEnv(env, file);
  if (fromEnv) return Vault.open(file, fromEnv);
  if (!prompt?.stdin.isTTY) throw new VaultError(ErrorCode.VaultKeyMissing, file, missingKeyMessage());
  const passphrase = await promptHidden(`Passphrase for ${file}: `, prompt.stdin, prompt.stderr);
  return Vault.open(file, { passphrase });
}

/** The same without a prompt, for synchronous config loading: the environment's key or an error. */
export function unlockVaultSync(file: string, env: NodeJS.ProcessEnv): Vault {
  const fromEnv = keyFromEnv(env, file);
  if (!fromEnv) throw new VaultError(ErrorCode.VaultKeyMissing, file, missingKeyMessage());
  return Vault.open(file, fromEnv);
}

/**
 * The key for a new vault: the environment's, or a passphrase typed twice on a
 * terminal (a typo would otherwise lock the vault for good).
 */
export async function keyForNewVault(
  file: string,
  env: NodeJS.ProcessEnv,
  prompt?: PromptIo,
): Promise<VaultKey> {
  const fromEnv = keyFromEnv(env, file);
  if (fromEnv && 'passphrase' in fromEnv && fromEnv.passphrase.length < MIN_PASSPHRASE_LENGTH)
    throw new VaultError(
      ErrorCode.VaultKeyMissing,
      file,
      `${VAULT_ENV.passphrase} needs ${MIN_PASSPHRASE_LENGTH} characters or more to create a vault`,
    );
  if (fromEnv) return fromEnv;
  if (!prompt?.stdin.isTTY) {
    throw new VaultError(
      ErrorCode.VaultKeyMissing,
      file,
      `does not exist yet and no key to create it: set ${VAULT_ENV.passphrase} (or ${VAULT_ENV.key}), or run on a terminal`,
    );
  }
  const first = await promptHidden(`New passphrase for ${file}: `, prompt.stdin, prompt.stderr);
  if (first.length < MIN_PASSPHRASE_LENGTH)
    throw new VaultError(
      ErrorCode.VaultKeyMissing,
      file,
      `the passphrase needs ${MIN_PASSPHRASE_LENGTH} characters or more`,
    );
  const again = await promptHidden('Repeat the passphrase: ', prompt.stdin, prompt.stderr);
  if (again !== first)
    throw new VaultError(ErrorCode.VaultKeyMissing, file, 'the passphrases differ; nothing was written');
  return { passphrase: first };
}
