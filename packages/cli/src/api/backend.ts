import {
  contractKey,
  type EngineEvent,
  type FollowerConfig,
  formatMoney,
  type Money,
  type Position,
} from '@tradenova/core';
import { connectionKeyOf } from '@tradenova/core/engine';
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

/** What a backend knows of one follower, from wherever it learns it (engine or topics). */
export interface AccountFacts {
  settings: FollowerSettings;
  killEngaged: boolean;
  /** The last `account-status` seen. */
  last?: { status: string; reason?: string };
  /** Status to show before any `account-status` arrived. */
  statusBefore: string;
  positions: readonly Position[];
  pnl: { realized: Money; unrealized: Money };
  connectionState: string;
}

/** One account of `GET /v1/accounts`, the same for both backends. */
export function accountView(f: FollowerConfig, facts: AccountFacts): AccountView {
  const { settings, last } = facts;
  return {
    name: f.name,
    broker: f.broker,
    account: f.account,
    connection: connectionKeyOf(f),
    enabled: settings.enabled ?? f.enabled,
    paused: facts.killEngaged || settings.paused === true || last?.status === 'paused',
    status: last?.status ?? facts.statusBefore,
    connectionState: facts.connectionState,
    positions: facts.positions
      .filter((p) => p.netQty !== 0 || p.realizedPnl !== 0)
      .map((p) => ({
        contract: contractKey(p.contract),
        netQty: p.netQty,
        avgPrice: p.avgPrice,
        realizedPnl: formatMoney(p.realizedPnl),
        unrealizedPnl: formatMoney(p.unrealizedPnl),
      })),
    realizedPnl: formatMoney(facts.pnl.realized),
    unrealizedPnl: formatMoney(facts.pnl.unrealized),
    risk: {
      limits: { ...f.risk, ...settings.risk },
      lockedOut: last?.status === 'locked-out',
      ...(last?.reason ? { reason: last.reason } : {}),
    },
    settings,
  };
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
