import { readFileSync } from 'node:fs';
import { keyFromEnv, type PromptIo, unlockVault, unlockVaultSync, vaultPath } from './key.js';
import { Vault } from './vault.js';

/** How the config loader reads `${secret:name}`: a lookup, and words for its messages. */
export interface SecretLookup {
  /** The value, or undefined when the vault has no such secret. Throws `VaultError` when the vault cannot be opened. */
  secret(name: string): string | undefined;
  /** Where secrets come from, for messages: `vault /path/.tradenova/secrets.vault`. */
  readonly source: string;
  /** Why a name is missing beyond "not in the vault" (no vault file at all). */
  missingHint(name: string): string;
}

/**
 * Secrets from the vault file the environment points to (or the default one),
 * opened on the first `${secret:}` reference and only then, with the key from
 * the environment. A config without secret references never touches the vault.
 */
export function vaultSecrets(
  env: NodeJS.ProcessEnv,
  options: { file?: string; vault?: Vault } = {},
): SecretLookup {
  const file = options.vault?.file ?? vaultPath(env, options.file);
  let vault: Vault | null | undefined = options.vault;
  const open = (): Vault | null => {
    if (vault !== undefined) return vault;
    vault = Vault.exists(file) ? unlockVaultSync(file, env) : null;
    return vault;
  };
  return {
    source: `vault ${file}`,
    secret(name) {
      return open()?.get(name);
    },
    missingHint(name) {
      const exists = vault !== null && (vault !== undefined || Vault.exists(file));
      return exists
        ? `add it: tradenova secrets set ${name}`
        : `there is no vault at ${file}; create it with: tradenova secrets set ${name} (or point ${'TRADENOVA_VAULT'} at yours)`;
    },
  };
}

/** Whether a config text refers to any `${secret:...}`. */
export function usesSecrets(text: string): boolean {
  return /\$\{secret:[A-Za-z_]/.test(text);
}

/**
 * For commands that may ask: when the config refers to secrets, the vault
 * exists, the environment holds no key and stdin is a terminal, asks for the
 * passphrase before loading (config loading itself is synchronous). Otherwise
 * the lazy, environment-keyed lookup.
 */
export async function secretsForConfig(
  configFile: string,
  env: NodeJS.ProcessEnv,
  prompt?: PromptIo,
): Promise<SecretLookup> {
  let text = '';
  try {
    text = readFileSync(configFile, 'utf8');
  } catch {
    // The loader reports an unreadable config itself, with the reason.
  }
  const file = vaultPath(env);
  if (!usesSecrets(text) || !Vault.exists(file) || keyFromEnv(env, file) || !prompt?.stdin.isTTY) {
    return vaultSecrets(env);
  }
  return vaultSecrets(env, { vault: await unlockVault(file, env, prompt) });
}
