import type { EngineConfig, FollowerConfig, LeaderConfig } from '../config/schema.js';

/** One connection the config needs: which adapter, which settings, which accounts. */
export interface ConnectionPlan {
  key: string;
  broker: string;
  options: Record<string, unknown>;
  accounts: string[];
}

/** The connection a follower or the leader uses: its named `connection`, else one shared per broker. */
export function connectionKeyOf(account: FollowerConfig | LeaderConfig): string {
  return account.connection ?? account.broker;
}

/** The broker connections a config needs, with the accounts each serves (the leader's too unless told not). */
export function planConnections(config: EngineConfig, options: { leader?: boolean } = {}): ConnectionPlan[] {
  const plans = new Map<string, ConnectionPlan>();
  const accounts = options.leader === false ? config.followers : [config.leader, ...config.followers];
  for (const acct of accounts) {
    const key = connectionKeyOf(acct);
    let plan = plans.get(key);
    if (!plan) {
      const named = acct.connection ? config.connections[acct.connection] : undefined;
      plan = { key, broker: named?.broker ?? acct.broker, options: named?.options ?? {}, accounts: [] };
      plans.set(key, plan);
    }
    if (!plan.accounts.includes(acct.account)) plan.accounts.push(acct.account);
  }
  return [...plans.values()];
}
