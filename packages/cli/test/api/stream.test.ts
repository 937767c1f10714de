import type { EngineEvent } from '@tradenova/core';
import { parseEngineConfig } from '@tradenova/core';
import { afterEach, describe, expect, it } from 'vitest';
import { auditTrail } from '../../src/api/audit.js';
import type { ApiBackend, FollowerRef } from '../../src/api/backend.js';
import { memoryDenyList } from '../../src/api/deny-list.js';
import { FailedAuthLimiter } from '../../src/api/rate-limit.js';
import { type ApiServer, type ApiServerOptions, startApiServer } from '../../src/api/server.js';
import { StreamClose } from '../../src/api/stream.js';
import { createToken } from '../../src/api/tokens.js';
import { call, openStream, TEST_KEY, token } from './api-process.js';

const followers: FollowerRef[] = [
  { name: 'f01', account: 'A1', broker: 'paper', connection: 'p' },
  { name: 'f02', account: 'A2', broker: 'paper', connection: 'p' },
];

/** A backend whose events the test publishes itself: the stream, auth and limits, without an engine. */
function fakeBackend(): ApiBackend & { emit(event: EngineEvent): void } {
  const listeners = new Set<(e: EngineEvent) => void>();
  const config = parseEngineConfig({
    version: 1,
    leader: { name: 'leader', broker: 'paper', account: 'L' },
    followers: followers.map((f) => ({ name: f.name, broker: 'paper', account: f.account })),
  });
  return {
    followers,
    config,
    journal: undefined,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const l of listeners) l(event);
    },
    health: async () => ({ status: 'ok' }),
    accounts: async () => [],
    setFollower: async () => ({}),
    flatten: async () => ({}),
    setKillSwitch: async (engaged) => ({ engaged }),
    reconcile: async () => ({}),
    submitSignal: async () => {},
  };
}

const cancelled = (follower: string, i: number, padding = ''): EngineEvent => ({
  type: 'order-cancelled',
  time: i,
  follower,
  accountId: follower === 'f01' ? 'A1' : 'A2',
  orderId: `${i}`,
  reason: padding,
});

describe('the API in process', () => {
  let server: ApiServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  async function start(options: Partial<ApiServerOptions> = {}) {
    const backend = (options.backend as ReturnType<typeof fakeBackend> | undefined) ?? fakeBackend();
    server = await startApiServer({
      address: '127.0.0.1:0',
      backend,
      key: TEST_KEY,
      denyList: memoryDenyList(),
      audit: auditTrail({}),
      ...options,
    });
    return { backend, base: server.url };
  }

  it('drops a slow client with 4001 while the others keep receiving every event', async () => {
    const { backend, base } = await start({
      stream: { maxBufferedBytes: 256 * 1024, closeGraceMs: 120_000 },
    });
    const read = (await token('read')).token;
    const fast = await openStream(base, read);
    const slow = await openStream(base, read);
    await slow.next((m) => m.type === 'hello');
    slow.ws.pause(); // It stops reading: its socket fills, then its buffer on the server.
    const padding = 'x'.repeat(4000);
    const total = 5000;
    for (let i = 1; i <= total; i += 20) {
      // publish is synchronous and never waits on a client: the engine's listener calls it.
      for (let j = i; j < i + 20; j++) backend.emit(cancelled('f01', j, padding));
      await fast.next((m) => m.seq === i + 19);
    }
    const seqs = fast.messages.filter((m) => typeof m.seq === 'number').map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: total }, (_, k) => k + 1));
    slow.ws.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(StreamClose.SlowClient);
    const got = slow.messages.filter((m) => typeof m.seq === 'number').length;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(total);
    fast.ws.close();
  }, 120_000);

  it('resumes from the ring, and answers resync when the ring no longer holds the gap', async () => {
    const { backend, base } = await start({ ringSize: 10 });
    for (let i = 1; i <= 30; i++) backend.emit(cancelled(i % 2 ? 'f01' : 'f02', i));
    const read = (await token('read')).token;
    const old = await openStream(base, read, { since: 5 });
    const resync = await old.next((m) => m.type === 'resync');
    expect(resync).toMatchObject({ from: 5, oldest: 21, latest: 30 });
    old.ws.close();
    const recent = await openStream(base, read, { since: 25 });
    await recent.next((m) => m.seq === 30);
    expect(recent.messages.filter((m) => typeof m.seq === 'number').map((m) => m.seq)).toEqual([
      26, 27, 28, 29, 30,
    ]);
    // A scoped token replays only its account's events.
    const f02 = (await token('read', { accounts: ['f02'] })).token;
    const scoped = await openStream(base, f02, { since: 24 });
    await scoped.next((m) => m.seq === 30);
    expect(scoped.messages.filter((m) => typeof m.seq === 'number').map((m) => m.seq)).toEqual([26, 28, 30]);
    recent.ws.close();
    scoped.ws.close();
  });

  it('closes a stream client past the limit with 1013, and takes one again when a place frees', async () => {
    const { base } = await start({ maxStreamClients: 1 });
    const read = (await token('read')).token;
    const first = await openStream(base, read);
    await first.next((m) => m.type === 'hello');
    const second = await openStream(base, read);
    expect((await second.closed).code).toBe(StreamClose.TryLater);
    first.ws.close();
    await first.closed;
    // The server counts the first one gone once its close is handled.
    for (;;) {
      const third = await openStream(base, read);
      const outcome = await Promise.race([
        third.next((m) => m.type === 'hello', 5_000).then(() => 'hello'),
        third.closed.then(() => 'closed'),
      ]);
      third.ws.close();
      if (outcome === 'hello') break;
    }
  });

  it('rate-limits failed sign-ins per address (429 with retry-after), a good token included', async () => {
    const { base } = await start({ limiter: new FailedAuthLimiter(3, 60_000) });
    const good = (await token('read')).token;
    for (let i = 0; i < 3; i++)
      expect((await call(base, 'GET', '/v1/health', { token: 'nope' })).status).toBe(401);
    const limited = await call(base, 'GET', '/v1/health', { token: good });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('TN_ERR_API_RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('refuses an expired token, and a token in the query outside the stream', async () => {
    const { base } = await start();
    const expired = await createToken(TEST_KEY, { scope: 'read', ttlS: 60 }, Date.now() - 3_600_000);
    const answer = await call(base, 'GET', '/v1/health', { token: expired.token });
    expect(answer.status).toBe(401);
    expect(answer.body.message).toMatch(/expired/);
    const good = (await token('read')).token;
    expect((await call(base, 'GET', `/v1/health?token=${good}`)).status).toBe(401);
    expect((await call(base, 'GET', '/v1/health', { token: good })).status).toBe(200);
  });

  it('the OpenAPI document lists every route served, and no other', async () => {
    const { base } = await start();
    const doc = (await call(base, 'GET', '/v1/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => ['get', 'post', 'patch', 'delete', 'put'].includes(k))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect([...server!.routes].sort()).toEqual(documented.sort());
  });

  it("the document's schemas are valid JSON Schema 2020-12 and judge bodies as the server does", async () => {
    const { base } = await start();
    const doc = (await call(base, 'GET', '/v1/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: object }> } }>
      >;
    };
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const ajv = new Ajv2020({ strict: false });
    const patch = ajv.compile(
      doc.paths['/v1/accounts/{name}']!.patch!.requestBody!.content['application/json']!.schema,
    );
    const { accountPatchSchema } = await import('../../src/api/schemas.js');
    for (const body of [
      { paused: true },
      { risk: { maxOrderQty: 3 } },
      { scaling: null },
      { colour: 'red' },
      { paused: 'yes' },
    ])
      expect(patch(body), JSON.stringify(body)).toBe(accountPatchSchema.safeParse(body).success);
    for (const item of Object.values(doc.paths))
      for (const op of Object.values(item))
        for (const media of Object.values(op.requestBody?.content ?? {}))
          expect(() => ajv.compile(media.schema)).not.toThrow();
  });

  it('a failure of the server is a 500 without detail, logged; a service that is away is a 503 naming it', async () => {
    const logged: unknown[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (obj: object) => logged.push(obj),
      child: () => logger,
    };
    const backend = fakeBackend();
    backend.health = async () => {
      throw new Error('secret internals');
    };
    const { ServiceUnavailableError } = await import('../../src/errors.js');
    backend.accounts = async () => {
      throw new ServiceUnavailableError('redis', 'redis://127.0.0.1:1');
    };
    const { base } = await start({ backend, logger });
    const read = (await token('read')).token;
    const failed = await call(base, 'GET', '/v1/health', { token: read });
    expect(failed.status).toBe(500);
    expect(failed.body.code).toBe('TN_ERR_API_INTERNAL');
    expect(JSON.stringify(failed.body)).not.toContain('secret internals');
    expect(logged).toHaveLength(1);
    const away = await call(base, 'GET', '/v1/accounts', { token: read });
    expect(away.status).toBe(503);
    expect(away.body).toMatchObject({
      code: 'TN_ERR_API_UNAVAILABLE',
      message: expect.stringMatching(/redis is not reachable/),
    });
  });

  it('answers unknown paths and bad JSON with {code, message}', async () => {
    const { base } = await start();
    const missing = await call(base, 'GET', '/v1/nothing');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('TN_ERR_API_NOT_FOUND');
    const control = (await token('control')).token;
    const res = await fetch(`${base}/v1/kill`, {
      method: 'POST',
      headers: { authorization: `Bearer ${control}`, 'content-type': 'application/json' },
      body: '{"reason":',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('TN_ERR_API_INVALID');
  });
});
