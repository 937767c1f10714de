import { describe, expect, it } from 'vitest';
import { parseEngineConfig, parseReplay, runReplay } from '../../src/index.js';

const lines = [
  { time: '2025-11-24T14:30:00.000Z', type: 'quote', instrument: 'MNQZ5', bid: '21000.00', ask: '21000.25' },
  {
    time: '2025-11-24T14:30:01.000Z',
    signalId: 'a',
    action: 'new',
    leaderOrderId: 'L1',
    instrument: 'MNQZ5',
    side: 'buy',
    qty: 1,
    orderType: 'market',
    fillPrice: '21000.25',
  },
  {
    time: '2025-11-24T14:30:02.000Z',
    signalId: 'b',
    action: 'new',
    leaderOrderId: 'L2',
    instrument: 'MNQZ5',
    side: 'sell',
    qty: 3,
    orderType: 'limit',
    limitPrice: '21002.00',
  },
  { time: '2025-11-24T14:30:03.000Z', signalId: 'c', action: 'cancel', leaderOrderId: 'L2' },
  { time: '2025-11-24T14:30:04.000Z', signalId: 'c', action: 'flatten' },
];

describe('the report events section', () => {
  it('lists each leader event with one outcome per enabled follower, reasons included', async () => {
    const config = parseEngineConfig({
      leader: { account: 'L' },
      services: { journal: { enabled: false } },
      followers: [
        { name: 'split', account: 'A' },
        { name: 'half', account: 'B', scaling: { mode: 'multiplier', factor: 0.5 }, rounding: 'floor' },
        {
          name: 'capped',
          account: 'C',
          scaling: { mode: 'multiplier', factor: 3 },
          risk: { maxOrderQty: 2 },
        },
        { name: 'off', account: 'D', enabled: false },
      ],
    });
    const { records } = parseReplay(lines.map((l) => JSON.stringify(l)).join('\n'), 'jsonl');
    const report = await runReplay({ config, records });
    expect(report.events.map((e) => [e.signalId, e.line, e.action])).toEqual([
      ['a', 2, 'new'],
      ['b', 3, 'new'],
      ['c', 4, 'cancel'],
    ]);
    const [a, b] = report.events;
    expect(a!.outcomes).toEqual({
      split: 'filled',
      half: 'skipped SCALED_TO_ZERO',
      capped: 'blocked MAX_ORDER_QTY',
    });
    expect(Object.keys(b!.outcomes)).toEqual(['split', 'half', 'capped']);
    expect(b!.outcomes.split).toBe('close placed; open placed');
    // The repeated signal id is refused and recorded as an error, not as an event.
    expect(report.signals.errors.map((e) => e.line)).toEqual([5]);
  });
});
