import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DenyList } from './deny-list.js';
import { ApiError, ApiErrorCode, unauthorized } from './errors.js';
import type { FailedAuthLimiter } from './rate-limit.js';
import { type Principal, verifyToken } from './tokens.js';

const principals = new WeakMap<FastifyRequest, Principal>();

/** The caller of a request that passed `authenticate`. */
export function principalOf(req: FastifyRequest): Principal {
  const p = principals.get(req);
  if (!p) throw unauthorized('no token');
  return p;
}

/** The token of a request: `Authorization: Bearer …`, or (the stream only, for browsers) `?token=`. */
export function tokenOf(req: FastifyRequest, allowQuery: boolean): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string' && /^bearer\s+/i.test(header))
    return header.replace(/^bearer\s+/i, '').trim();
  if (allowQuery) {
    const q = (req.query as Record<string, unknown> | undefined)?.token;
    if (typeof q === 'string' && q !== '') return q;
  }
  return undefined;
}

/**
 * The `onRequest` hook of every /v1 route but the OpenAPI document: a missing or bad
 * token is 401 (and counts against the address), an address over its failures is 429
 * before its token is even looked at, and a revoked token is 401.
 */
export function authenticate(options: {
  key: Uint8Array;
  denyList: DenyList;
  limiter: FailedAuthLimiter;
}): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (req, reply) => {
    const address = req.ip;
    const wait = options.limiter.retryAfterMs(address);
    if (wait > 0) {
      reply.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new ApiError(
        429,
        ApiErrorCode.RateLimited,
        'too many failed sign-ins from this address; try later',
      );
    }
    const token = tokenOf(req, req.routeOptions.url === '/v1/stream');
    try {
      if (!token)
        throw unauthorized('no token: send Authorization: Bearer <token> (tradenova api token create)');
      const principal = await verifyToken(options.key, token);
      if (await options.denyList.isRevoked(principal.id)) throw unauthorized('the token has been revoked');
      principals.set(req, principal);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        options.limiter.fail(address);
        reply.header('www-authenticate', 'Bearer');
      }
      throw error;
    }
  };
}
