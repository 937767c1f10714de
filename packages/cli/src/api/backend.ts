import type { EngineEvent } from '@tradenova/core';
import type { Kysely } from 'kysely';
import type { JournalDatabase } from '../services/journal/schema.js';
import type { FollowerSettings, KillSwitch } from '../services/redis/stores.js';

/** A follower as the API names it. */
export interface FollowerRef {
  name: string;
  account: string;
  broker: string;
  connection: string;
}

/** One net position. */
export interface PositionView {
  contract: string;
  netQty: number;
  avgPrice: string;
  realizedPnl: string;
  unrealizedPnl: string;
}

/** One account in `GET /v1/accounts`. */
export interface AccountView {
  name: string;
  broker: string;
  account: string;
  connection: string;
  enabled: boolean;
  paused: boolean;
  /** Last status the engine reported: enabled, paused, locked-out, flattening (or unknown). */
  status: string;
  connectionState: string;
  positions: PositionView[];
  realizedPnl: string;
  unrealizedPnl: string;
  /** The risk limits in force (the config's with live overrides) and the lock-out state. */
  risk: { limits: Record<string, unknown>; lockedOut: boolean; reason?: string };
  /** Live overrides from the control store. */
  settings: FollowerSettings;
}

/** The settings patch `accounts set` stores (`null` removes an override). */
export type SettingsPatch = { [K in keyof FollowerSettings]?: FollowerSettings[K] | null };

/**
 * What the API serves and acts on: a live session in this process (session-backend.ts)
 * or, for the scale-out gateway, the cluster seen through Kafka, Redis and the journal
 * (gateway-backend.ts). Routes know only this interface.
 */
export interface ApiBackend {
  readonly followers: readonly FollowerRef[];
  health(): Promise<Record<string, unknown>>;
  accounts(): Promise<AccountView[]>;
  /** Stores a settings patch through the control store (every process applies it). */
  setFollower(name: string, patch: SettingsPatch, by: string): Promise<FollowerSettings>;
  flatten(name: string, by: string): Promise<Record<string, unknown>>;
  setKillSwitch(engaged: boolean, reason: string | undefined, by: string): Promise<KillSwitch>;
  reconcile(
    follower: string | undefined,
    policy: 'align' | 'alert' | 'flatten' | undefined,
  ): Promise<Record<string, unknown>>;
  /** Hands a checked leader signal to the copy path; resolves once it is accepted. */
  submitSignal(signal: Record<string, unknown> & { signalId: string }): Promise<void>;
  /** The journal, for orders and reports; absent with `--no-journal`. */
  readonly journal: Kysely<JournalDatabase> | undefined;
  /** The config used to check `PATCH` like `accounts set` does. */
  readonly config: import('@tradenova/core').EngineConfig;
  /** Every event the process sees, in order. Returns the unsubscribe function. */
  onEvent(listener: (event: EngineEvent) => void): () => void;
}
