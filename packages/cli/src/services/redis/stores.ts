/** Live settings of one follower; fields left out keep the YAML's value. */
export interface FollowerSettings {
  enabled?: boolean;
  paused?: boolean;
  /** Scaling overrides, same shape as the follower's `scaling` in the YAML. */
  scaling?: Record<string, unknown>;
  /** Risk limit overrides, same shape as the follower's `risk` in the YAML. */
  risk?: Record<string, unknown>;
  /** Who made the last change and when (ms since epoch); set by the store on every change. */
  changed?: ControlActor;
}

/** Who changed a control setting, and when. */
export interface ControlActor {
  /** `user@host` of the command that changed it (`TRADENOVA_ACTOR` overrides), or `unknown`. */
  by: string;
  /** ms since epoch. */
  at: number;
}

/** The global kill switch: when engaged no process places new orders. */
export interface KillSwitch {
  engaged: boolean;
  reason?: string;
  /** When it was last changed (ms since epoch). */
  changedAt?: number;
  /** Who changed it last (`user@host`). */
  changedBy?: string;
}

/** A change every running process is told about at once. */
export type ControlChange =
  | { kind: 'follower'; name: string; settings: FollowerSettings }
  | { kind: 'kill-switch'; killSwitch: KillSwitch };

/** Follower settings and the kill switch, shared by every process, with change notifications. */
export interface ControlStore {
  getFollower(name: string): Promise<FollowerSettings>;
  /** Merges `patch` (a field set to `null` is removed) and notifies every listener; returns the result. */
  setFollower(
    name: string,
    patch: { [K in keyof FollowerSettings]?: FollowerSettings[K] | null },
    by?: string,
  ): Promise<FollowerSettings>;
  listFollowers(): Promise<Record<string, FollowerSettings>>;
  getKillSwitch(): Promise<KillSwitch>;
  /** Engages or releases the kill switch, recording who (`by`) and when. */
  setKillSwitch(engaged: boolean, reason?: string, by?: string): Promise<KillSwitch>;
  /** Listens to changes made by any process (this one included). Returns the unsubscribe function. */
  onChange(listener: (change: ControlChange) => void): () => void;
}

/** Dedupe of intents across processes and restarts. */
export interface DedupeStore {
  /** True for the first claim of `id` within `ttlMs`; false while an earlier claim holds. */
  claim(id: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back (the order was not sent, so another attempt may claim it). */
  release(id: string): Promise<void>;
}

/** A broker session token, with when it stops working. */
export interface CachedToken {
  token: string;
  /** ms since epoch. */
  expiresAt: number;
}

/** Broker tokens kept across restarts, so a restart does not burn the broker's login limits. */
export interface TokenCache {
  get(key: string): Promise<CachedToken | undefined>;
  /** Keeps the token until it expires. */
  set(key: string, token: CachedToken): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The three stores, backed by Redis or by this process's memory. */
export interface ServiceStores {
  control: ControlStore;
  dedupe: DedupeStore;
  tokens: TokenCache;
  /** Where the state lives, for logs: `redis://…` or `memory`. */
  readonly backend: string;
  close(): Promise<void>;
}

/** Applies a settings patch: `null` removes a field, `undefined` leaves it. */
export function mergeSettings(
  current: FollowerSettings,
  patch: { [K in keyof FollowerSettings]?: FollowerSettings[K] | null },
): FollowerSettings {
  const next: Record<string, unknown> = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete next[field];
    else if (value !== undefined) next[field] = value;
  }
  return next as FollowerSettings;
}
