import type { ServicesConfig } from '@tradenova/core';

/**
 * How fast a consumer group notices a killed member: the group coordinator removes a
 * member that sent no heartbeat for the session timeout, then the survivors learn of
 * the rebalance at their next heartbeat and rejoin. 3 s + 0.5 s keeps a killed router's
 * or executor's partitions moving within 5 s on a broker that allows it; a broker's
 * `group.min.session.timeout.ms` (Kafka's default is 6 s) is the floor (see
 * docs/operations.md, "Failover").
 */
export const DEFAULT_SESSION_TIMEOUT_MS = 3000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 500;

/** The session timeout and heartbeat of the router and executor groups, from `services.kafka`. */
export function groupTiming(kafka: ServicesConfig['kafka']): {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
} {
  return {
    sessionTimeoutMs: kafka?.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: kafka?.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
  };
}
