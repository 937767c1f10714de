import type { Session } from '../run/session.js';
import { RunMetrics } from './metrics.js';
import { type MetricsServer, serveMetrics } from './server.js';

export { type OrderOutcome, RunMetrics } from './metrics.js';
export { type MetricsServer, parseMetricsAddress, serveMetrics } from './server.js';

/**
 * Metrics for a live session: listens to the engine, reads connection states
 * at scrape time, starts every follower connection's breaker as closed, and
 * serves `/metrics` at `address`. Call before `engine.start()` so the first
 * events are counted.
 */
export async function startRunMetrics(
  session: Pick<Session, 'config' | 'engine' | 'plans' | 'connections'>,
  address: string,
): Promise<{ metrics: RunMetrics; server: MetricsServer }> {
  const metrics = new RunMetrics(session.config);
  const server = await serveMetrics(metrics.registry, address);
  session.engine.on(metrics.observe);
  const followerConnections = new Set(session.config.followers.map((f) => f.connection ?? f.broker));
  for (const plan of session.plans) {
    if (followerConnections.has(plan.key)) metrics.setBreaker(plan.broker, plan.key, 'closed');
  }
  metrics.watchConnections(() =>
    session.plans.flatMap((plan) => {
      const connection = session.connections[plan.key];
      return connection
        ? [{ broker: plan.broker, connection: plan.key, state: connection.health().state }]
        : [];
    }),
  );
  return { metrics, server };
}
