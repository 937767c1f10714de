import type { AddressInfo } from 'node:net';
import websocket from '@fastify/websocket';
import type { Logger } from '@tradenova/core';
import Fastify, { type FastifyError } from 'fastify';
import { CliError, ServiceUnavailableError } from '../errors.js';
import { parseMetricsAddress } from '../metrics/server.js';
import type { AuditTrail } from './audit.js';
import { authenticate, principalOf } from './auth.js';
import type { ApiBackend } from './backend.js';
import type { DenyList } from './deny-list.js';
import { ApiError, ApiErrorCode } from './errors.js';
import { EventRing } from './event-ring.js';
import { openApiDocument } from './openapi.js';
import { FailedAuthLimiter } from './rate-limit.js';
import { registerControlRoutes } from './routes/control.js';
import { registerJournalRoutes } from './routes/journal.js';
import { registerReadRoutes } from './routes/read.js';
import { registerSignalRoutes } from './routes/signals.js';
import {
  DEFAULT_STREAM_LIMITS,
  feedRing,
  StreamClose,
  type StreamLimits,
  serveStreamClient,
} from './stream.js';

/** A running API. */
export interface ApiServer {
  /** `http://127.0.0.1:P`: the address the socket really has. */
  readonly url: string;
  readonly port: number;
  readonly ring: EventRing;
  /** Every route served, `GET /v1/accounts/{name}` style (the OpenAPI document must list each). */
  readonly routes: readonly string[];
  close(): Promise<void>;
}

/** What `startApiServer` needs. */
export interface ApiServerOptions {
  /** `[host]:port`: `:8081` is loopback; a wider listener needs its host written out. */
  address: string;
  backend: ApiBackend;
  key: Uint8Array;
  denyList: DenyList;
  audit: AuditTrail;
  /** Events kept for resuming (default 10 000). */
  ringSize?: number;
  stream?: Partial<StreamLimits>;
  /** Stream clients at once (default 1,000); one more is closed with 1013 (try again later). */
  maxStreamClients?: number;
  limiter?: FailedAuthLimiter;
  /** Where unexpected request failures are logged (silent when absent). */
  logger?: Logger;
}

/**
 * Serves the control API (fastify, with @fastify/websocket on ws): `/healthz` without a
 * token, `/v1/openapi.json`, and every other `/v1` route behind a token. Events are
 * taken from the backend into a ring from the start, whether or not a client listens.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseMetricsAddress(options.address));
  } catch {
    throw new CliError(`--api ${options.address}: expected [host]:port, e.g. :8081 or 127.0.0.1:8081`);
  }
  const ring = new EventRing(options.ringSize ?? 10_000);
  const offFeed = feedRing(ring, (listener) => options.backend.onEvent(listener));
  const limits = { ...DEFAULT_STREAM_LIMITS, ...options.stream };
  const clients = new Set<{ close(code: number, reason: string): void }>();
  const maxClients = options.maxStreamClients ?? 1000;
  // A request has 10 s to arrive whole, so slow senders cannot hold sockets; an upgraded stream is not bound by it.
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    trustProxy: false,
    requestTimeout: 10_000,
    keepAliveTimeout: 5_000,
  });
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD') routes.push(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  app.setErrorHandler((error: FastifyError | ApiError, _req, reply) => {
    if (error instanceof ApiError)
      return reply.code(error.status).send({ code: error.code, message: error.message });
    const status = (error as FastifyError).statusCode;
    // Fastify's own refusals (bad JSON, a body too large, a wrong content type) keep their status.
    if (status && status >= 400 && status < 500)
      return reply.code(status).send({ code: ApiErrorCode.Invalid, message: (error as Error).message });
    // A service that does not answer is named; anything else is logged here and answered without detail.
    if (error instanceof ServiceUnavailableError)
      return reply.code(503).send({ code: ApiErrorCode.Unavailable, message: error.message });
    options.logger?.error(
      { err: error, method: _req.method, route: _req.routeOptions.url },
      'api: request failed',
    );
    return reply
      .code(500)
      .send({ code: ApiErrorCode.Internal, message: 'internal error (logged on the server)' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ code: ApiErrorCode.NotFound, message: `no route ${req.method} ${req.url.split('?')[0]}` }),
  );

  const document = openApiDocument();
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/v1/openapi.json', async () => document);

  const ctx = {
    backend: options.backend,
    audit: options.audit,
    denyList: options.denyList,
    ring,
    streamClients: () => clients.size,
  };
  await app.register(async (scoped) => {
    scoped.addHook(
      'onRequest',
      authenticate({
        key: options.key,
        denyList: options.denyList,
        limiter: options.limiter ?? new FailedAuthLimiter(),
      }),
    );
    registerReadRoutes(scoped, ctx);
    registerControlRoutes(scoped, ctx);
    registerJournalRoutes(scoped, ctx);
    registerSignalRoutes(scoped, ctx);
    scoped.get<{ Querystring: { since?: string } }>('/v1/stream', { websocket: true }, (socket, req) => {
      const principal = principalOf(req);
      if (clients.size >= maxClients) {
        socket.close(StreamClose.TryLater, 'too many stream clients');
        return;
      }
      const since = req.query.since;
      const client = serveStreamClient(socket, {
        ring,
        principal,
        followers: options.backend.followers,
        ...(since !== undefined && /^\d+$/.test(since) ? { since: Number(since) } : {}),
        limits,
        stillValid: async () =>
          principal.expiresAt > Date.now() && !(await options.denyList.isRevoked(principal.id)),
      });
      clients.add(client);
      socket.on('close', () => clients.delete(client));
    });
  });

  try {
    await app.listen({ host, port });
  } catch (error) {
    offFeed();
    await app.close().catch(() => undefined);
    throw new CliError(
      `--api ${options.address}: cannot listen: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const info = app.server.address() as AddressInfo;
  const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return {
    url: `http://${shown}:${info.port}`,
    port: info.port,
    ring,
    routes,
    async close() {
      offFeed();
      for (const client of clients) client.close(StreamClose.GoingAway, 'server shutting down');
      await app.close();
    },
  };
}
