import type { EngineConfig } from '@tradenova/core';
import { followerSchema } from '@tradenova/core/config';
import { loadConfig } from '../config/load-config.js';
import { CliError, ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { redactUrl } from '../services/errors.js';
import { controlActor } from '../services/redis/actor.js';
import { connectRedisStores } from '../services/redis/redis-stores.js';
import type { FollowerSettings } from '../services/redis/stores.js';

/** What `tradenova accounts pause|resume|set|kill|show` was asked to do. */
export type AccountsControlRequest = { config: string; redis?: string; json?: boolean } & (
  | { action: 'pause' | 'resume'; follower: string }
  | { action: 'set'; follower: string; settings: string[] }
  | { action: 'kill'; engaged: boolean; reason?: string }
  | { action: 'show' }
);

/**
 * Changes the shared control state in Redis; every running process that uses the same
 * Redis applies it at once (pub/sub). Needs `services.redis`: without it each process
 * keeps its own state, and there is nothing another terminal could change.
 */
export async function accountsControlCommand(
  request: AccountsControlRequest,
  io: CommandIo,
): Promise<number> {
  // Broker credentials are not needed here, so references to them may stay unresolved.
  const { config } = loadConfig(request.config, { env: process.env }, { lenientReferences: true });
  const redis = config.services.redis;
  const url = request.redis ?? redis?.url;
  if (!url) {
    throw new CliError(
      `accounts ${request.action} needs Redis, shared by the running processes: set services.redis.url in ${request.config} (or --redis redis://host:port); without Redis use the dashboard's keys`,
    );
  }
  if (url.includes('${')) {
    throw new CliError(
      `services.redis.url in ${request.config} refers to a variable that is not set: ${redactUrl(url)}`,
    );
  }
  // Checked before connecting: a wrong name or value fails without touching Redis.
  if ('follower' in request) planPatch(config, request);
  const stores = await connectRedisStores({ url, prefix: redis?.prefix ?? 'tn:' });
  try {
    switch (request.action) {
      case 'pause':
      case 'resume':
      case 'set': {
        // Fields add up over several `set`s: risk.maxOrderQty now and risk.maxPosition later both stay.
        const stored = await stores.control.getFollower(request.follower);
        const patch = planPatch(config, request, stored);
        const settings = await stores.control.setFollower(request.follower, patch, controlActor(process.env));
        io.stdout.write(
          request.json
            ? `${JSON.stringify({ follower: request.follower, settings })}\n`
            : `${request.follower}: ${describe(settings)}\n`,
        );
        return ExitCode.Ok;
      }
      case 'kill': {
        const kill = await stores.control.setKillSwitch(
          request.engaged,
          request.reason,
          controlActor(process.env),
        );
        io.stdout.write(
          kill.engaged
            ? `kill switch ON${kill.reason ? ` (${kill.reason})` : ''}: no new entries in any process\n`
            : 'kill switch off: followers copy again (those paused on their own stay paused)\n',
        );
        return ExitCode.Ok;
      }
      case 'show': {
        const [followers, kill] = await Promise.all([
          stores.control.listFollowers(),
          stores.control.getKillSwitch(),
        ]);
        if (request.json) io.stdout.write(`${JSON.stringify({ killSwitch: kill, followers }, null, 2)}\n`);
        else {
          io.stdout.write(
            `kill switch: ${kill.engaged ? `ON${kill.reason ? ` (${kill.reason})` : ''}` : 'off'}\n`,
          );
          for (const f of config.followers) {
            const s = followers[f.name];
            io.stdout.write(
              `  ${f.name.padEnd(28)} ${s && Object.keys(s).length > 0 ? describe(s) : 'as in the config'}\n`,
            );
          }
        }
        return ExitCode.Ok;
      }
    }
  } finally {
    await stores.close();
  }
}

type Patch = { [K in keyof FollowerSettings]?: FollowerSettings[K] | null };

/** The settings patch of a pause, resume or set, checked against the follower's config. */
export function planPatch(
  config: EngineConfig,
  request: { action: 'pause' | 'resume' | 'set'; follower: string; settings?: string[] },
  stored: FollowerSettings = {},
): Patch {
  const follower = config.followers.find((f) => f.name === request.follower);
  if (!follower) {
    throw new CliError(
      `no follower named "${request.follower}" in the config (followers: ${config.followers.map((f) => f.name).join(', ')})`,
    );
  }
  if (request.action === 'pause') return { paused: true };
  if (request.action === 'resume') return { paused: false };
  const patch: Patch = {};
  const scaling: Record<string, unknown> = {};
  const risk: Record<string, unknown> = {};
  for (const pair of request.settings ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`"${pair}": give key=value (e.g. risk.maxOrderQty=3)`);
    const key = pair.slice(0, eq);
    const value = parseValue(pair.slice(eq + 1));
    if (key === 'enabled' || key === 'paused') {
      if (value !== null && typeof value !== 'boolean') throw new CliError(`${key}: true or false`);
      patch[key] = value;
    } else if (key === 'scaling' || key === 'risk') {
      if (value !== null)
        throw new CliError(`${key}: only ${key}=null (back to the config) is allowed; set ${key}.<field>=…`);
      patch[key] = null;
    } else if (key.startsWith('scaling.')) scaling[key.slice(8)] = value;
    else if (key.startsWith('risk.')) risk[key.slice(5)] = value;
    else throw new CliError(`unknown setting "${key}" (enabled, paused, scaling.<field>, risk.<field>)`);
  }
  if (Object.keys(scaling).length > 0) {
    // A new mode starts from nothing; the same mode keeps the fields not given.
    const base = (stored.scaling ?? follower.scaling) as Record<string, unknown>;
    const keep = scaling.mode === undefined || scaling.mode === base.mode;
    patch.scaling = { ...(keep ? base : {}), ...scaling };
  }
  if (Object.keys(risk).length > 0) patch.risk = { ...stored.risk, ...risk };
  // The result must be a valid follower: a typo fails here, not in every running process.
  const candidate = {
    ...follower,
    ...(patch.enabled != null ? { enabled: patch.enabled } : {}),
    ...(patch.scaling ? { scaling: patch.scaling } : {}),
    ...(patch.risk ? { risk: { ...follower.risk, ...patch.risk } } : {}),
  };
  const parsed = followerSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`${request.follower}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return patch;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describe(settings: FollowerSettings): string {
  const parts: string[] = [];
  if (settings.enabled !== undefined) parts.push(settings.enabled ? 'enabled' : 'disabled');
  if (settings.paused !== undefined) parts.push(settings.paused ? 'paused' : 'not paused');
  if (settings.scaling) parts.push(`scaling ${JSON.stringify(settings.scaling)}`);
  if (settings.risk) parts.push(`risk ${JSON.stringify(settings.risk)}`);
  return parts.join(', ') || 'as in the config';
}
