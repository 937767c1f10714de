import {
  type CachedToken,
  type ControlChange,
  type ControlStore,
  type DedupeStore,
  type FollowerSettings,
  type KillSwitch,
  mergeSettings,
  type ServiceStores,
  type TokenCache,
} from './stores.js';

/**
 * The stores in this process's memory, for when Redis is not configured: same
 * behaviour, one process. Listeners are called on a later microtask, like a
 * pub/sub message, so callers cannot come to rely on synchronous delivery.
 */
export function createMemoryStores(now: () => number = Date.now): ServiceStores {
  return {
    control: new MemoryControlStore(now),
    dedupe: new MemoryDedupe(now),
    tokens: new MemoryTokens(now),
    backend: 'memory',
    close: async () => {},
  };
}

class MemoryControlStore implements ControlStore {
  readonly #followers = new Map<string, FollowerSettings>();
  #kill: KillSwitch = { engaged: false };
  readonly #listeners = new Set<(change: ControlChange) => void>();
  readonly #now: () => number;
  constructor(now: () => number) {
    this.#now = now;
  }
  async getFollower(name: string): Promise<FollowerSettings> {
    return { ...this.#followers.get(name) };
  }
  async setFollower(
    name: string,
    patch: Parameters<ControlStore['setFollower']>[1],
    by = 'unknown',
  ): Promise<FollowerSettings> {
    const settings = mergeSettings(this.#followers.get(name) ?? {}, {
      ...patch,
      changed: { by, at: this.#now() },
    });
    this.#followers.set(name, settings);
    this.#emit({ kind: 'follower', name, settings: { ...settings } });
    return { ...settings };
  }
  async listFollowers(): Promise<Record<string, FollowerSettings>> {
    return Object.fromEntries([...this.#followers].map(([n, s]) => [n, { ...s }]));
  }
  async getKillSwitch(): Promise<KillSwitch> {
    return { ...this.#kill };
  }
  async setKillSwitch(engaged: boolean, reason?: string, by = 'unknown'): Promise<KillSwitch> {
    this.#kill = {
      engaged,
      changedAt: this.#now(),
      changedBy: by,
      ...(reason === undefined ? {} : { reason }),
    };
    this.#emit({ kind: 'kill-switch', killSwitch: { ...this.#kill } });
    return { ...this.#kill };
  }
  onChange(listener: (change: ControlChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  #emit(change: ControlChange): void {
    for (const listener of this.#listeners) queueMicrotask(() => listener(change));
  }
}

class MemoryDedupe implements DedupeStore {
  readonly #until = new Map<string, number>();
  readonly #now: () => number;
  constructor(now: () => number) {
    this.#now = now;
  }
  async claim(id: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const until = this.#until.get(id);
    if (until !== undefined && until > now) return false;
    this.#until.set(id, now + ttlMs);
    // Expired claims are dropped lazily; a sweep keeps the map from growing without bound.
    if (this.#until.size > 100_000) for (const [k, t] of this.#until) if (t <= now) this.#until.delete(k);
    return true;
  }
  async release(id: string): Promise<void> {
    this.#until.delete(id);
  }
}

class MemoryTokens implements TokenCache {
  readonly #tokens = new Map<string, CachedToken>();
  readonly #now: () => number;
  constructor(now: () => number) {
    this.#now = now;
  }
  async get(key: string): Promise<CachedToken | undefined> {
    const token = this.#tokens.get(key);
    if (token && token.expiresAt <= this.#now()) {
      this.#tokens.delete(key);
      return undefined;
    }
    return token && { ...token };
  }
  async set(key: string, token: CachedToken): Promise<void> {
    if (token.expiresAt > this.#now()) this.#tokens.set(key, { ...token });
  }
  async delete(key: string): Promise<void> {
    this.#tokens.delete(key);
  }
}
