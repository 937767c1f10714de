import { Redis } from 'ioredis';
import { ServiceUnavailableError } from '../services/errors.js';

/** Revoked token ids, kept until the token would have expired anyway. */
export interface DenyList {
  /** Refuses the token `id` from now until `untilMs` (its expiry). */
  revoke(id: string, untilMs: number): Promise<void>;
  isRevoked(id: string): Promise<boolean>;
  /** Where the list lives, for the startup line: `redis` or `memory`. */
  readonly backend: 'redis' | 'memory';
  close(): Promise<void>;
}

/** The deny list of a session without Redis: this process only, gone at exit. */
export function memoryDenyList(now: () => number = Date.now): DenyList {
  const until = new Map<string, number>();
  return {
    backend: 'memory',
    async revoke(id, untilMs) {
      until.set(id, untilMs);
      for (const [k, t] of until) if (t <= now()) until.delete(k);
    },
    async isRevoked(id) {
      const t = until.get(id);
      return t !== undefined && t > now();
    },
    close: async () => {},
  };
}

/**
 * The deny list in the control store's Redis (`<prefix>api:revoked:<id>`, expiring with the
 * token), so a revocation reaches every process serving the API at once.
 */
export async function redisDenyList(url: string, prefix = 'tn:'): Promise<DenyList> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 3 });
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new ServiceUnavailableError('redis', url, { cause: error });
  }
  const key = (id: string) => `${prefix}api:revoked:${id}`;
  return {
    backend: 'redis',
    async revoke(id, untilMs) {
      // At least a minute, so a token whose expiry is near is still refused meanwhile.
      await redis.set(key(id), '1', 'PXAT', Math.max(untilMs, Date.now() + 60_000));
    },
    async isRevoked(id) {
      return (await redis.exists(key(id))) === 1;
    },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
