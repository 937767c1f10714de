import { describe, expect, it } from 'vitest';
import { RiskReason } from '../../src/index.js';
import { MNQ, paperEngine } from './harness.js';

describe('why a paused follower blocks', () => {
  it('the kill switch names itself; a plain pause stays FOLLOWER_PAUSED', async () => {
    const h = await paperEngine([
      { name: 'killed', account: 'F1' },
      { name: 'paused', account: 'F2' },
    ]);
    h.engine.pause('killed', RiskReason.KillSwitch);
    h.engine.pause('paused');
    h.price(MNQ, '21000.00');
    await h.leaderMarket('1', 'buy', 1, '21000.00');
    const blocked = h.events.flatMap((e) =>
      e.type === 'order-blocked' ? [[e.intent.follower, e.reason, e.message] as const] : [],
    );
    expect(blocked).toEqual([
      ['killed', 'KILL_SWITCH', 'kill switch engaged'],
      ['paused', 'FOLLOWER_PAUSED', 'paused is paused'],
    ]);
    await h.engine.stop();
  });
});
