import type { BrokerConnection } from '../adapter/contract.js';
import type { Clock } from '../clock/clock.js';
import type { EngineConfig } from '../config/schema.js';
import { ErrorCode, TradeNovaError } from '../errors.js';
import { parseMoney } from '../money/money.js';
import { AccountRiskState, compileRiskRules } from '../risk/index.js';
import { connectionKeyOf } from './connections.js';
import { FollowerRuntime } from './follower.js';
import { type BreakerState, ConnectionGuard } from './resilience.js';

/** A broker account as the engine meets it in a broker's events: the connection it came over and its id there. */
export interface AccountRef {
  readonly connection: string;
  readonly accountId: string;
}

/** The one map key of an account reference (made here only, so every lookup agrees). */
type AccountKey = string & { readonly __account: unique symbol };

function accountKey(ref: AccountRef): AccountKey {
  return `${ref.connection}\u0000${ref.accountId}` as AccountKey;
}

/**
 * The engine's followers: each one's runtime, built from its config with the guard of its
 * connection (one per connection, shared by its followers), found by name or by the
 * account a broker event names.
 */
export class Roster {
  readonly #byName = new Map<string, FollowerRuntime>();
  readonly #byAccount = new Map<AccountKey, FollowerRuntime>();

  constructor(
    config: EngineConfig,
    connections: Record<string, BrokerConnection>,
    clockOf: (connectionKey: string) => Clock,
    onBreakerChange: (connectionKey: string, broker: string, state: BreakerState) => void,
  ) {
    const guards = new Map<string, ConnectionGuard>();
    for (const f of config.followers) {
      const key = connectionKeyOf(f);
      const connection = connections[key];
      if (!connection) {
        throw new TradeNovaError(
          ErrorCode.ConfigInvalid,
          `follower ${f.name}: no broker connection "${key}" was given`,
        );
      }
      let guard = guards.get(key);
      if (!guard) {
        guard = new ConnectionGuard(connection.broker, config.engine, clockOf(key), connection.budget);
        guards.set(key, guard);
        guard.onBreakerChange((state) => onBreakerChange(key, connection.broker, state));
      }
      const startingBalance = parseMoney(f.startingBalance, `followers.${f.name}.startingBalance`);
      const runtime = new FollowerRuntime(
        f,
        key,
        connection,
        guard,
        compileRiskRules(f.risk),
        new AccountRiskState(startingBalance),
        startingBalance,
      );
      // Intent ids of re-planned legs (`~replan-<n>`, `~fill-<n>`, `settle:…:<n>`) must never
      // repeat one an earlier run of this copier sent: a broker may answer a repeated client
      // order id with the old order, refuse it, or (Tradovate) take a second order under it. The
      // count starts from this run's start time in microseconds, past any count an earlier run
      // reached (found by `tradenova chaos`: after a kill -9 a re-plan sent `~replan-1` again).
      runtime.recoveries = clockOf(key).now() * 1000;
      this.#byName.set(f.name, runtime);
      this.#byAccount.set(accountKey({ connection: key, accountId: f.account }), runtime);
    }
  }

  get names(): string[] {
    return [...this.#byName.keys()];
  }

  /** Every follower, in config order. */
  values(): IterableIterator<FollowerRuntime> {
    return this.#byName.values();
  }

  all(): FollowerRuntime[] {
    return [...this.#byName.values()];
  }

  get(name: string): FollowerRuntime {
    const f = this.#byName.get(name);
    if (!f) throw new TradeNovaError(ErrorCode.ConfigInvalid, `no follower named "${name}"`);
    return f;
  }

  /** The follower trading an account, or none (an account of the connection the engine does not copy to). */
  byAccount(ref: AccountRef): FollowerRuntime | undefined {
    return this.#byAccount.get(accountKey(ref));
  }

  /** The followers reached over one connection. */
  onConnection(connectionKey: string): FollowerRuntime[] {
    return this.all().filter((f) => f.connectionKey === connectionKey);
  }
}
