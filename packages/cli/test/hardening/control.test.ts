import { randomUUID } from 'node:crypto';
import { RiskReason } from '@tradenova/core';
import { waitFor } from '@tradenova/core/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ControlApplier, type Pausable } from '../../src/services/control/apply-control.js';
import { ServiceUnavailableError } from '../../src/services/errors.js';
import { connectRedisStores, controlActor, createMemoryStores } from '../../src/services/redis/index.js';
import { describeWithService } from '../services/require-service.js';

/** An engine stand-in that records what the applier asked of it. */
function fakeEngine(followers: string[]) {
  const calls: string[] = [];
  const engine: Pausable = {
    followers,
    pause: (name, reason) => calls.push(`pause ${name} ${reason}`),
    resume: (name) => calls.push(`resume ${name}`),
  };
  return { engine, calls };
}

describe('the kill switch has its own reason', () => {
  it('pauses with KILL_SWITCH, a pause with FOLLOWER_PAUSED, and moves from one to the other', async () => {
    const stores = createMemoryStores();
    const { engine, calls } = fakeEngine(['a', 'b']);
    const applier = new ControlApplier(engine, stores.control);
    await applier.start();
    // Each change is applied (its calls made) before the next one.
    await stores.control.setFollower('a', { paused: true }, 'ann@desk');
    await waitFor(() => calls.length >= 1, { message: 'the pause applied' });
    await stores.control.setKillSwitch(true, 'drill', 'ops@desk');
    await waitFor(() => calls.length >= 3, { message: 'the kill switch applied' });
    await stores.control.setKillSwitch(false, undefined, 'ops@desk');
    await waitFor(() => calls.length >= 5, { message: 'the kill switch released' });
    applier.stop();
    expect(calls).toEqual([
      `pause a ${RiskReason.FollowerPaused}`,
      `pause a ${RiskReason.KillSwitch}`,
      `pause b ${RiskReason.KillSwitch}`,
      `pause a ${RiskReason.FollowerPaused}`,
      'resume b',
    ]);
    expect(RiskReason.KillSwitch).toBe('KILL_SWITCH');
  });

  it('records changes as TRADENOVA_ACTOR, else user@host', () => {
    expect(controlActor({ TRADENOVA_ACTOR: 'ci-job-17' })).toBe('ci-job-17');
    expect(controlActor({})).toMatch(/^.+@.+$/);
  });
});

describeWithService('redis', 'Redis control with an ACL user and TLS', (url) => {
  it('logs in as a Redis ACL user with its password, and refuses a wrong password without printing it', async () => {
    const admin = new Redis(url);
    const user = `tn-acl-${randomUUID().slice(0, 8)}`;
    const password = `pw-${randomUUID()}`;
    const prefix = `tn-acl:${randomUUID()}:`;
    try {
      // Only this deployment's keys and channels, and the commands the stores use.
      await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, `~${prefix}*`, `&${prefix}*`, '+@all');
      const at = new URL(url);
      const aclUrl = `redis://${user}:${encodeURIComponent(password)}@${at.host}`;
      const stores = await connectRedisStores({ url: aclUrl, prefix });
      try {
        expect(stores.backend).not.toContain(password);
        await stores.control.setKillSwitch(true, 'acl', 'ops@desk');
        expect(await stores.control.getKillSwitch()).toMatchObject({ engaged: true, changedBy: 'ops@desk' });
        // The state is where the ACL user may write: under its own prefix.
        await expect(admin.get(`${prefix}kill`)).resolves.toContain('"engaged":true');
      } finally {
        await stores.close();
      }
      const wrong = await connectRedisStores({
        url: `redis://${user}:wrong-${password}@${at.host}`,
        prefix,
        connectTimeoutMs: 2000,
      }).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(ServiceUnavailableError);
      expect(String((wrong as Error).message)).not.toContain(password);
    } finally {
      await admin.call('ACL', 'DELUSER', user).catch(() => undefined);
      await admin.quit();
    }
  });

  it('rediss:// speaks TLS: against a plain-text server the handshake fails as Redis unavailable', async () => {
    const at = new URL(url);
    const error = await connectRedisStores({ url: `rediss://${at.host}`, connectTimeoutMs: 1500 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ServiceUnavailableError);
  });
});
