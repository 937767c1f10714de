import { randomBytes, randomUUID } from 'node:crypto';
import { waitFor } from '@tradenova/core/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../../src/services/errors.js';
import {
  type ControlChange,
  connectRedisStores,
  createMemoryStores,
  type ServiceStores,
} from '../../../src/services/redis/index.js';
import { describeWithService } from '../require-service.js';

/** The same behaviour for every backend. `pair()` gives two handles on one shared state (two processes). */
function storesSuite(pair: () => Promise<[ServiceStores, ServiceStores]>): void {
  const opened: ServiceStores[] = [];
  async function open(): Promise<[ServiceStores, ServiceStores]> {
    const both = await pair();
    opened.push(...both);
    return both;
  }
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  it('merges follower settings and tells every process at once', async () => {
    const [a, b] = await open();
    const seen: ControlChange[] = [];
    b.control.onChange((change) => seen.push(change));
    await a.control.setFollower('f1', { paused: true, scaling: { mode: 'multiplier', factor: 2 } });
    const merged = await a.control.setFollower('f1', {
      enabled: false,
      scaling: null,
      risk: { allowed: [] },
    });
    const { changed, ...rest } = merged;
    expect(rest).toEqual({ paused: true, enabled: false, risk: { allowed: [] } });
    // Every change records who made it and when.
    expect(changed).toEqual({ by: 'unknown', at: expect.any(Number) });
    expect(await b.control.getFollower('f1')).toEqual(merged);
    expect(await b.control.listFollowers()).toEqual({ f1: merged });
    await waitFor(() => seen.length === 2, { message: 'a change notification' });
    expect(seen[1]).toEqual({ kind: 'follower', name: 'f1', settings: merged });
  });

  it('engages and releases the kill switch, announced to every process', async () => {
    const [a, b] = await open();
    const seen: ControlChange[] = [];
    b.control.onChange((change) => seen.push(change));
    expect((await b.control.getKillSwitch()).engaged).toBe(false);
    await a.control.setKillSwitch(true, 'operator', 'ops@desk');
    expect(await b.control.getKillSwitch()).toMatchObject({
      engaged: true,
      reason: 'operator',
      changedBy: 'ops@desk',
      changedAt: expect.any(Number),
    });
    const paused = await a.control.setFollower('f2', { paused: true }, 'ann@laptop');
    expect(paused.changed).toEqual({ by: 'ann@laptop', at: expect.any(Number) });
    await waitFor(() => seen.length >= 1, { message: 'a change notification' });
    expect(seen[0]).toMatchObject({ kind: 'kill-switch', killSwitch: { engaged: true, reason: 'operator' } });
  });

  it('lets one claim of an intent through until it expires or is released', async () => {
    const [a, b] = await open();
    const id = `tn${randomUUID()}`;
    expect(await a.dedupe.claim(id, 150)).toBe(true);
    expect(await b.dedupe.claim(id, 150)).toBe(false);
    // Expired, not released: a claim goes through again.
    await waitFor(() => b.dedupe.claim(id, 10_000), { message: 'the claim to expire' });
    await b.dedupe.release(id);
    expect(await a.dedupe.claim(id, 10_000)).toBe(true);
  });

  it('keeps a broker token until it expires', async () => {
    const [a, b] = await open();
    const token = { token: 'secret-token-123', expiresAt: Date.now() + 150 };
    await a.tokens.set('tradovate:demo', token);
    expect(await b.tokens.get('tradovate:demo')).toEqual(token);
    await waitFor(async () => (await b.tokens.get('tradovate:demo')) === undefined, {
      message: 'the token to expire',
    });
    await a.tokens.set('tradovate:demo', { token: 'x', expiresAt: Date.now() + 10_000 });
    await a.tokens.delete('tradovate:demo');
    expect(await b.tokens.get('tradovate:demo')).toBeUndefined();
  });
}

describe('in-process stores (no Redis configured)', () => {
  storesSuite(async () => {
    const stores = createMemoryStores();
    // One process: both handles are the same state, as two Redis clients share one server.
    return [stores, stores];
  });
});

describeWithService('redis', 'Redis stores on a real server', (url) => {
  const tokenKey = randomBytes(32);
  let prefix = '';
  storesSuite(async () => {
    prefix = `tn-test:${randomUUID()}:`;
    return [
      await connectRedisStores({ url, prefix, tokenKey }),
      await connectRedisStores({ url, prefix, tokenKey }),
    ];
  });

  it('stores broker tokens sealed, not in plain text', async () => {
    prefix = `tn-test:${randomUUID()}:`;
    const stores = await connectRedisStores({ url, prefix, tokenKey });
    await stores.tokens.set('projectx:main', { token: 'plain-secret', expiresAt: Date.now() + 60_000 });
    const raw = new Redis(url);
    const stored = await raw.get(`${prefix}token:projectx:main`);
    const ttl = await raw.pttl(`${prefix}token:projectx:main`);
    await raw.quit();
    expect(stored).not.toBeNull();
    expect(stored).not.toContain('plain-secret');
    expect(ttl).toBeGreaterThan(50_000);
    // Under another key the token is unreadable: a miss, so the broker login runs again.
    const other = await connectRedisStores({ url, prefix, tokenKey: randomBytes(32) });
    expect(await other.tokens.get('projectx:main')).toBeUndefined();
    await other.close();
    await stores.close();
  });
});

it('names Redis and the address when it does not answer', async () => {
  const error = await connectRedisStores({ url: 'redis://:pw@127.0.0.1:1', connectTimeoutMs: 500 }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceUnavailableError);
  expect((error as Error).message).toContain('127.0.0.1:1');
  expect((error as Error).message).not.toContain('pw@');
});
