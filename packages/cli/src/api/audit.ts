import type { Kysely } from 'kysely';
import type { JournalDatabase } from '../services/journal/schema.js';
import type { Principal } from './tokens.js';

/** One control action, as the audit trail records it. */
export interface AuditEntry {
  time: number;
  tokenId: string;
  tokenName: string;
  /** `account-patch`, `account-flatten`, `kill-engage`, `kill-release`, `reconcile`, `signal-submit`, `token-revoke`. */
  action: string;
  /** The account, signal or token acted on, when there is one. */
  target?: string;
  outcome: 'ok' | 'failed';
  /** What was asked (the patch, the reason) and, when it failed, why. */
  detail: Record<string, unknown>;
}

/** Where audit entries go: the journal (when there is one) and the run's JSON lines. */
export interface AuditTrail {
  record(
    principal: Principal,
    entry: Omit<AuditEntry, 'time' | 'tokenId' | 'tokenName'>,
  ): Promise<AuditEntry>;
}

/**
 * The audit trail of a process: each control action is written to the journal's
 * `api_audit` table (awaited, so an action is answered only once it is on record) and
 * handed to `print` as a `{"type":"api-action",…}` JSON line. A journal that cannot be
 * written does not undo the action, which already happened: the line still says it.
 */
export function auditTrail(options: {
  db?: Kysely<JournalDatabase> | undefined;
  print?: (line: Record<string, unknown>) => void;
  onError?: (error: unknown) => void;
  now?: () => number;
}): AuditTrail {
  return {
    async record(principal, partial) {
      const entry: AuditEntry = {
        time: (options.now ?? Date.now)(),
        tokenId: principal.id,
        tokenName: principal.name,
        ...partial,
      };
      options.print?.({ type: 'api-action', ...entry });
      if (options.db) {
        await options.db
          .insertInto('api_audit')
          .values({
            time: entry.time,
            token_id: entry.tokenId,
            token_name: entry.tokenName,
            action: entry.action,
            target: entry.target ?? null,
            outcome: entry.outcome,
            detail: JSON.stringify(entry.detail),
          })
          .execute()
          .catch((error: unknown) => options.onError?.(error));
      }
      return entry;
    },
  };
}
