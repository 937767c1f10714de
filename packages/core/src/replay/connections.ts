import type { EngineConfig } from '../config/schema.js';
import { type ConnectionPlan, planConnections } from '../engine/connections.js';

/** The connections the followers need (the leader is mirrored separately in a replay). */
export function planFollowerConnections(config: EngineConfig): ConnectionPlan[] {
  return planConnections(config, { leader: false });
}
