import type { BrokerConnection, ConnectionPlan } from '@tradenova/core';
import { CliError } from './errors.js';

/**
 * Starts the simulator of every broker the config uses and connects the
 * follower accounts to it over real sockets (`replay --brokers simulated`).
 */
export async function startSimulatedBrokers(): Promise<{
  connect: (plan: ConnectionPlan) => Promise<BrokerConnection>;
  close: () => Promise<void>;
}> {
  return {
    connect: async (plan) => {
      throw new CliError(`no simulator is available for broker "${plan.broker}" yet`);
    },
    close: async () => {},
  };
}
