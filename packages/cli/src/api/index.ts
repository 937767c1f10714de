import type { Logger } from '@tradenova/core';
import type { Session } from '../run/session.js';
import type { PreparedServices } from '../services/live-services.js';
import { auditTrail } from './audit.js';
import { type DenyList, memoryDenyList, redisDenyList } from './deny-list.js';
import { type ApiServer, startApiServer } from './server.js';
import { sessionBackend } from './session-backend.js';
import { resolveSigningKey } from './signing-key.js';

export { type ApiServer, startApiServer } from './server.js';
export { resolveSigningKey } from './signing-key.js';

/**
 * Where the deny list of revoked tokens lives: the control store's Redis when the
 * process has one (a revocation reaches every process), else this process's memory.
 */
export async function denyListFor(prepared: Pick<PreparedServices, 'settings'>): Promise<DenyList> {
  const redis = prepared.settings.redis;
  return redis ? redisDenyList(redis.url, redis.prefix) : memoryDenyList();
}

/**
 * Checks the signing key first (no key: the command stops before any broker is touched).
 * Returns what starts the API for a live session once it is open: call it before
 * `engine.start()` so the stream holds every event from the start.
 */
export function prepareSessionApi(
  address: string,
  env: NodeJS.ProcessEnv,
): (
  session: Session,
  prepared: PreparedServices,
  print: (line: Record<string, unknown>) => void,
  logger?: Logger,
) => Promise<ApiServer> {
  const key = resolveSigningKey(env);
  return async (session, prepared, print, logger) => {
    const denyList = await denyListFor(prepared);
    try {
      const server = await startApiServer({
        address,
        key,
        denyList,
        backend: sessionBackend(session, prepared),
        ...(logger ? { logger } : {}),
        audit: auditTrail({
          db: prepared.services.journal?.db,
          print,
          onError: (error) => logger?.warn({ err: error }, 'api: audit row not journaled'),
        }),
      });
      return {
        ...server,
        close: async () => {
          await server.close();
          await denyList.close();
        },
      };
    } catch (error) {
      await denyList.close();
      throw error;
    }
  };
}
