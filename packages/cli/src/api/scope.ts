import type { EngineEvent } from '@tradenova/core';
import type { FollowerRef } from './backend.js';
import { forbidden, notFound } from './errors.js';
import type { Principal } from './tokens.js';

/** Whether a token limited to `accounts` (names or account ids) covers `follower`. */
export function covers(principal: Pick<Principal, 'accounts'>, follower: FollowerRef): boolean {
  const accounts = principal.accounts;
  return !accounts || accounts.includes(follower.name) || accounts.includes(follower.account);
}

/** The follower a path names (by name or account id); 404 when none, 403 when the token does not cover it. */
export function followerFor(
  followers: readonly FollowerRef[],
  principal: Principal,
  nameOrAccount: string,
): FollowerRef {
  const follower = followers.find((f) => f.name === nameOrAccount || f.account === nameOrAccount);
  if (!follower) throw notFound(`no account named "${nameOrAccount}"`);
  if (!covers(principal, follower)) throw forbidden(`this token is not for account "${nameOrAccount}"`);
  return follower;
}

/** Throws 403 unless the token has `control` scope. */
export function requireControl(principal: Principal): void {
  if (principal.scope !== 'control') throw forbidden('this needs a token with control scope');
}

/** Throws 403 for a token limited to accounts: the action reaches every account. */
export function requireAllAccounts(principal: Principal, what: string): void {
  if (principal.accounts)
    throw forbidden(`${what} acts on every account: it needs a token not limited to accounts`);
}

/** The followers an event is about (names); empty for events about no follower (a signal, a connection). */
export function followersOf(event: EngineEvent): string[] {
  const e = event as { follower?: unknown; intent?: { follower?: unknown } };
  if (typeof e.follower === 'string') return [e.follower];
  if (typeof e.intent?.follower === 'string') return [e.intent.follower];
  if (event.type === 'signal-completed') return [...new Set(event.outcomes.map((o) => o.follower))];
  return [];
}

/**
 * The event as a token limited to `names` may see it: events of its followers, a signal's
 * outcomes narrowed to its followers; nothing about other accounts or the shared parts
 * (connections, services, the leader's signals). Undefined when it may see none of it.
 */
export function visibleEvent(
  event: EngineEvent,
  names: ReadonlySet<string> | undefined,
): EngineEvent | undefined {
  if (!names) return event;
  if (event.type === 'signal-completed') {
    const outcomes = event.outcomes.filter((o) => names.has(o.follower));
    return outcomes.length > 0 ? { ...event, outcomes } : undefined;
  }
  const of = followersOf(event);
  return of.length > 0 && of.every((f) => names.has(f)) ? event : undefined;
}
