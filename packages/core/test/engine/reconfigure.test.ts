import { describe, expect, it } from 'vitest';
import { paperEngine } from './harness.js';

describe('changing a follower while running', () => {
  it('new scaling applies to the next signal; the identity of the account cannot change', async () => {
    const { leaderMarket, net, engine, config } = await paperEngine([{ name: 'a', account: 'A' }]);
    await leaderMarket('s1', 'buy', 1, '21000.25');
    expect(net('a')).toBe(1);
    const a = config.followers[0]!;
    await engine.reconfigure({ ...a, scaling: { mode: 'multiplier', factor: 3 } });
    await leaderMarket('s2', 'buy', 1, '21000.25');
    expect(net('a')).toBe(4);
    expect(() => engine.reconfigure({ ...a, account: 'B' })).toThrow(/followers\.a\.account cannot change/);
  });
});
