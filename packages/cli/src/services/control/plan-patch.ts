import { type EngineConfig, followerSchema } from '@tradenova/core';
import { CliError } from '../../errors.js';
import type { FollowerSettings } from '../redis/stores.js';

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
