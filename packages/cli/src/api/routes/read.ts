import type { FastifyInstance } from 'fastify';
import { principalOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { covers, followerFor } from '../scope.js';

/** `GET /v1/health`, `/v1/accounts`, `/v1/accounts/{name}`, `/v1/positions`: read scope. */
export function registerReadRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { backend } = ctx;
  app.get('/v1/health', async (req) => {
    const principal = principalOf(req);
    const health = await backend.health();
    const stream = { latest: ctx.ring.latest, oldest: ctx.ring.oldest, clients: ctx.streamClients() };
    // A token limited to accounts sees that the process is up, not the shared parts.
    if (principal.accounts) return { status: health.status, stream: { latest: stream.latest } };
    return { ...health, stream };
  });
  app.get('/v1/accounts', async (req) => {
    const principal = principalOf(req);
    const accounts = await backend.accounts();
    return { accounts: accounts.filter((a) => covers(principal, a)) };
  });
  app.get<{ Params: { name: string } }>('/v1/accounts/:name', async (req) => {
    const follower = followerFor(backend.followers, principalOf(req), req.params.name);
    const accounts = await backend.accounts();
    return accounts.find((a) => a.name === follower.name);
  });
  app.get('/v1/positions', async (req) => {
    const principal = principalOf(req);
    const accounts = await backend.accounts();
    return {
      positions: accounts
        .filter((a) => covers(principal, a))
        .flatMap((a) => a.positions.map((p) => ({ name: a.name, account: a.account, ...p }))),
    };
  });
}
