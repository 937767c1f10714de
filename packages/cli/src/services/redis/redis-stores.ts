import { Redis } from 'ioredis';
import { ServiceUnavailableError } from '../errors.js';
import type {
  CachedToken,
  ControlChange,
  ControlStore,
  DedupeStore,
  FollowerSettings,
  KillSwitch,
  ServiceStores,
  TokenCache,
} from './stores.js';
import { openToken, sealToken } from './token-crypto.js';

/** Where Redis is and how to keep keys apart. */
export interface RedisStoresOptions {
  /**
   * `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS (ioredis verifies the
   * server's certificate against the system CAs; `NODE_EXTRA_CA_CERTS` adds a private CA).
   * A user name logs in as that Redis ACL user (`AUTH user password`); a password alone as `default`.
   */
  url: string;
  /** Prefix of every key and channel (default `tn:`), so deployments can share a server. */
  prefix?: string;
  /** 32 bytes: broker tokens are stored sealed with AES-256-GCM under it. Without it they are stored as is. */
  tokenKey?: Buffer;
  /** How long to wait for Redis at start (default 5 s). */
  connectTimeoutMs?: number;
  /**
   * Told when the connection is lost (ioredis reconnects by itself, with backoff) and when
   * it is back. Pub/sub messages sent while it was away are not delivered again, so a
   * listener re-reads the state on `ok`.
   */
  onStatus?(status: { state: 'ok' } | { state: 'degraded'; error: string }): void;
}

// Patch, record and announce in one step, so every listener sees a state that was
// really stored, in the order it was stored. Values stay JSON text: the script only
// concatenates them, never re-encodes (cjson would turn an empty array into `{}`).
const SET_FOLLOWER = `
for i = 3, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i]) else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('SADD', KEYS[2], ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local parts = {}
for i = 1, #all, 2 do parts[#parts + 1] = cjson.encode(all[i]) .. ':' .. all[i + 1] end
local settings = '{' .. table.concat(parts, ',') .. '}'
redis.call('PUBLISH', ARGV[2], '{"kind":"follower","name":' .. cjson.encode(ARGV[1]) .. ',"settings":' .. settings .. '}')
return settings`;

/**
 * The stores on Redis: follower settings and the kill switch in keys with pub/sub
 * notifications, dedupe claims as keys with expiry (`SET NX PX`), broker tokens as
 * keys that expire with the token. Throws `ServiceUnavailableError` when Redis does
 * not answer at start; later outages make calls reject (after ioredis's retries).
 */
export async function connectRedisStores(options: RedisStoresOptions): Promise<ServiceStores> {
  const settings = {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // A command during an outage fails after a few reconnect attempts instead of waiting forever.
    maxRetriesPerRequest: 3,
  };
  const redis = new Redis(options.url, settings);
  const subscriber = new Redis(options.url, settings);
  // Errors are surfaced by the commands that fail; without a listener ioredis prints them.
  redis.on('error', () => {});
  subscriber.on('error', () => {});
  try {
    await Promise.all([redis.connect(), subscriber.connect()]);
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    subscriber.disconnect();
    throw new ServiceUnavailableError('redis', options.url, { cause: error });
  }
  let closing = false;
  if (options.onStatus) {
    const onStatus = options.onStatus;
    let degraded = false;
    const lost = (error: unknown) => {
      if (degraded || closing) return;
      degraded = true;
      onStatus({ state: 'degraded', error: error instanceof Error ? error.message : String(error) });
    };
    redis.on('error', lost);
    subscriber.on('error', lost);
    redis.on('close', () => lost(new Error('connection closed')));
    // The subscriber is ready last after a reconnect (it re-subscribes first): then nothing is missed from here on.
    subscriber.on('ready', () => {
      if (!degraded) return;
      degraded = false;
      onStatus({ state: 'ok' });
    });
  }
  const prefix = options.prefix ?? 'tn:';
  const control = new RedisControlStore(redis, subscriber, prefix);
  await control.listen();
  return {
    control,
    dedupe: new RedisDedupe(redis, prefix),
    tokens: new RedisTokens(redis, prefix, options.tokenKey),
    backend: options.url.replace(/\/\/[^@/]*@/, '//***@'),
    close: async () => {
      closing = true;
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
    },
  };
}

class RedisControlStore implements ControlStore {
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #listeners = new Set<(change: ControlChange) => void>();

  constructor(redis: Redis, subscriber: Redis, prefix: string) {
    this.#redis = redis;
    this.#subscriber = subscriber;
    this.#prefix = prefix;
    this.#channel = `${prefix}control`;
  }

  async listen(): Promise<void> {
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      let change: ControlChange;
      try {
        change = JSON.parse(message) as ControlChange;
      } catch {
        return; // Not ours: someone else published on the channel.
      }
      for (const listener of this.#listeners) listener(change);
    });
    await this.#subscriber.subscribe(this.#channel);
  }

  async getFollower(name: string): Promise<FollowerSettings> {
    return decodeSettings(await this.#redis.hgetall(this.#followerKey(name)));
  }

  async setFollower(
    name: string,
    patch: Parameters<ControlStore['setFollower']>[1],
    by = 'unknown',
  ): Promise<FollowerSettings> {
    const args: string[] = [];
    // Every change records who made it and when, in the same atomic step.
    const stamped = { ...patch, changed: { by, at: Date.now() } };
    for (const [field, value] of Object.entries(stamped)) {
      if (value === undefined) continue;
      args.push(field, value === null ? '' : JSON.stringify(value));
    }
    const json = (await this.#redis.eval(
      SET_FOLLOWER,
      2,
      this.#followerKey(name),
      `${this.#prefix}followers`,
      name,
      this.#channel,
      ...args,
    )) as string;
    return JSON.parse(json) as FollowerSettings;
  }

  async listFollowers(): Promise<Record<string, FollowerSettings>> {
    const names = await this.#redis.smembers(`${this.#prefix}followers`);
    const out: Record<string, FollowerSettings> = {};
    for (const name of names.sort()) out[name] = await this.getFollower(name);
    return out;
  }

  async getKillSwitch(): Promise<KillSwitch> {
    const raw = await this.#redis.get(`${this.#prefix}kill`);
    return raw ? (JSON.parse(raw) as KillSwitch) : { engaged: false };
  }

  async setKillSwitch(engaged: boolean, reason?: string, by = 'unknown'): Promise<KillSwitch> {
    const killSwitch: KillSwitch = {
      engaged,
      changedAt: Date.now(),
      changedBy: by,
      ...(reason === undefined ? {} : { reason }),
    };
    const change: ControlChange = { kind: 'kill-switch', killSwitch };
    await this.#redis
      .multi()
      .set(`${this.#prefix}kill`, JSON.stringify(killSwitch))
      .publish(this.#channel, JSON.stringify(change))
      .exec();
    return killSwitch;
  }

  onChange(listener: (change: ControlChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #followerKey(name: string): string {
    return `${this.#prefix}follower:${name}`;
  }
}

function decodeSettings(hash: Record<string, string>): FollowerSettings {
  const out: Record<string, unknown> = {};
  for (const [field, json] of Object.entries(hash)) out[field] = JSON.parse(json);
  return out as FollowerSettings;
}

class RedisDedupe implements DedupeStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }
  async claim(id: string, ttlMs: number): Promise<boolean> {
    return (
      (await this.#redis.set(
        `${this.#prefix}intent:${id}`,
        '1',
        'PX',
        Math.max(1, Math.round(ttlMs)),
        'NX',
      )) === 'OK'
    );
  }
  async release(id: string): Promise<void> {
    await this.#redis.del(`${this.#prefix}intent:${id}`);
  }
}

class RedisTokens implements TokenCache {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #key: Buffer | undefined;
  constructor(redis: Redis, prefix: string, key: Buffer | undefined) {
    if (key && key.length !== 32) throw new Error('token key must be 32 bytes (AES-256)');
    this.#redis = redis;
    this.#prefix = prefix;
    this.#key = key;
  }
  async get(key: string): Promise<CachedToken | undefined> {
    const raw = await this.#redis.get(`${this.#prefix}token:${key}`);
    if (raw === null) return undefined;
    try {
      return JSON.parse(this.#key ? openToken(this.#key, raw) : raw) as CachedToken;
    } catch {
      // A token sealed under another key (or altered) is a miss: the broker login runs again.
      return undefined;
    }
  }
  async set(key: string, token: CachedToken): Promise<void> {
    const ttl = token.expiresAt - Date.now();
    if (ttl <= 0) return;
    const plain = JSON.stringify(token);
    await this.#redis.set(
      `${this.#prefix}token:${key}`,
      this.#key ? sealToken(this.#key, plain) : plain,
      'PX',
      ttl,
    );
  }
  async delete(key: string): Promise<void> {
    await this.#redis.del(`${this.#prefix}token:${key}`);
  }
}
