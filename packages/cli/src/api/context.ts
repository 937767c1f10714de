import type { AuditTrail } from './audit.js';
import type { ApiBackend } from './backend.js';
import type { DenyList } from './deny-list.js';
import type { EventRing } from './event-ring.js';

/** What every route module gets. */
export interface RouteContext {
  readonly backend: ApiBackend;
  readonly audit: AuditTrail;
  readonly denyList: DenyList;
  readonly ring: EventRing;
  /** Stream clients connected now (health shows it). */
  readonly streamClients: () => number;
}

/** How a control action is recorded in the control store's `changedBy`: the token, never its text. */
export function actorOf(principal: { id: string; name: string }): string {
  return `api:${principal.name}#${principal.id.slice(0, 8)}`;
}
