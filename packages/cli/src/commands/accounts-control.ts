import { loadConfig } from '../config/load-config.js';
import { CliError, ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { planPatch } from '../services/control/plan-patch.js';
import { redactUrl } from '../services/errors.js';
import { controlActor } from '../services/redis/actor.js';
import { connectRedisStores } from '../services/redis/redis-stores.js';
import type { FollowerSettings } from '../services/redis/stores.js';

// The rules of a settings change live in services/control, so the control API applies the same ones.
export { planPatch } from '../services/control/plan-patch.js';

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

function describe(settings: FollowerSettings): string {
  const parts: string[] = [];
  if (settings.enabled !== undefined) parts.push(settings.enabled ? 'enabled' : 'disabled');
  if (settings.paused !== undefined) parts.push(settings.paused ? 'paused' : 'not paused');
  if (settings.scaling) parts.push(`scaling ${JSON.stringify(settings.scaling)}`);
  if (settings.risk) parts.push(`risk ${JSON.stringify(settings.risk)}`);
  return parts.join(', ') || 'as in the config';
}
