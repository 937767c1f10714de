import { redisDenyList } from '../api/deny-list.js';
import { resolveSigningKey } from '../api/signing-key.js';
import { createToken, MAX_TTL_S, parseTtl, type Scope } from '../api/tokens.js';
import { loadConfig } from '../config/load-config.js';
import { CliError, ExitCode } from '../errors.js';
import type { CommandIo } from './replay.js';

/** Flags of `tradenova api token create`. */
export interface TokenCreateOptions {
  scope: string;
  accounts?: string;
  ttl?: string;
  name?: string;
}

/**
 * `tradenova api token create`: signs a token with the API's key (`TRADENOVA_API_SIGNING_KEY`
 * or the vault's `api_signing_key`). The token alone is the last line on stdout, so a script
 * can take it with `| tail -1`; its id, scope, accounts and expiry go to stderr.
 */
export async function tokenCreateCommand(
  options: TokenCreateOptions,
  io: CommandIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (options.scope !== 'read' && options.scope !== 'control')
    throw new CliError(`--scope ${options.scope}: read (sees) or control (also acts)`);
  const ttlS = parseTtl(options.ttl ?? '8h');
  const accounts = options.accounts
    ?.split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (options.accounts !== undefined && (!accounts || accounts.length === 0))
    throw new CliError('--accounts: give follower names or account ids, comma-separated');
  if (options.name !== undefined && !/^[\w.@:-]{1,64}$/.test(options.name))
    throw new CliError('--name: up to 64 letters, digits, and . _ @ : -');
  const key = resolveSigningKey(env);
  const created = await createToken(key, {
    scope: options.scope as Scope,
    ttlS,
    ...(accounts ? { accounts } : {}),
    ...(options.name ? { name: options.name } : {}),
  });
  io.stderr.write(
    `tradenova: token ${created.id}${options.name ? ` (${options.name})` : ''}: scope ${options.scope}, ${accounts ? `accounts ${accounts.join(', ')}` : 'every account'}, expires ${new Date(created.expiresAt).toISOString()}\n`,
  );
  io.stdout.write(`${created.token}\n`);
  return ExitCode.Ok;
}

/**
 * `tradenova api token revoke <id>`: puts a token id on the deny list in the control
 * store's Redis, which every process serving the API reads. (A session without Redis
 * keeps its list in memory: revoke there with `DELETE /v1/tokens/{id}`.)
 */
export async function tokenRevokeCommand(
  id: string,
  options: { config?: string; redis?: string },
  io: CommandIo,
): Promise<number> {
  if (!/^[0-9a-f-]{36}$/i.test(id))
    throw new CliError(`${id}: a token id (the UUID printed by token create)`);
  let url = options.redis;
  let prefix: string | undefined;
  if (options.config) {
    const { config } = loadConfig(options.config, { env: process.env }, { lenientReferences: true });
    url ??= config.services.redis?.url;
    prefix = config.services.redis?.prefix;
  }
  if (!url || url.includes('${'))
    throw new CliError(
      'api token revoke needs the Redis the API processes share: -c config.yaml (services.redis) or --redis redis://host:port; without Redis revoke through the API: DELETE /v1/tokens/<id>',
    );
  const list = await redisDenyList(url, prefix);
  try {
    await list.revoke(id, Date.now() + MAX_TTL_S * 1000);
  } finally {
    await list.close();
  }
  io.stdout.write(`token ${id} revoked\n`);
  return ExitCode.Ok;
}
