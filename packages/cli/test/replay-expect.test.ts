import { describe, expect, it } from 'vitest';
import { diffJson, reproducible } from '../src/replay/expect.js';

const fill = (time: string, contract: string, intentId: string) => ({
  time,
  contract,
  side: 'sell',
  qty: 1,
  price: '1.00',
  intentId,
});

function report(over: { p50: number; fills: ReturnType<typeof fill>[]; pnl?: string }) {
  return {
    accounts: [{ name: 'f', realizedPnl: over.pnl ?? '1.00', fills: over.fills }],
    latency: { clock: 'wall', unit: 'ms', count: 2, p50: over.p50, p90: 9, p99: 9, max: 9 },
  };
}

describe('--expect on reports from the simulators', () => {
  const engineId = `tn${'a'.repeat(22)}`;
  const first = report({
    p50: 3,
    fills: [
      fill('2025-01-01T00:00:00.000Z', 'MNQZ25', engineId),
      fill('2025-01-01T00:01:00.000Z', 'MESZ25', 'flat-mxb5of3q-w'),
      fill('2025-01-01T00:01:00.000Z', 'MNQZ25', 'flat-mxb5of42-18'),
    ],
  });
  const second = report({
    p50: 7,
    fills: [
      fill('2025-01-01T00:00:00.000Z', 'MNQZ25', engineId),
      fill('2025-01-01T00:01:00.000Z', 'MNQZ25', 'flat-mxb5vxn8-18'),
      fill('2025-01-01T00:01:00.000Z', 'MESZ25', 'flat-mxb5vxjx-w'),
    ],
  });

  it('leaves out wall latency, adapter-made order ids and the order of fills at one instant', () => {
    expect(diffJson(first, second).length).toBeGreaterThan(0);
    expect(diffJson(reproducible(first, true), reproducible(second, true))).toEqual([]);
    // The latency count and clock stay compared.
    expect(reproducible(first, true)).toMatchObject({ latency: { clock: 'wall', count: 2 } });
  });

  it('still compares everything else: P&L, engine intent ids, the order of fills across times', () => {
    const fills = first.accounts[0]!.fills;
    const pnl = report({ p50: 3, fills, pnl: '2.00' });
    expect(diffJson(reproducible(first, true), reproducible(pnl, true))).toEqual([
      { path: 'accounts[name=f].realizedPnl', expected: '1.00', actual: '2.00' },
    ]);
    const otherIntent = report({
      p50: 3,
      fills: [fill('2025-01-01T00:00:00.000Z', 'MNQZ25', `tn${'b'.repeat(22)}`), ...fills.slice(1)],
    });
    expect(diffJson(reproducible(first, true), reproducible(otherIntent, true))).toHaveLength(1);
    const swapped = report({ p50: 3, fills: [fills[1]!, fills[0]!, fills[2]!] });
    expect(diffJson(reproducible(first, true), reproducible(swapped, true)).length).toBeGreaterThan(0);
  });

  it('compares a paper report in full', () => {
    const paper = { latency: { clock: 'virtual', p50: 3 } };
    expect(reproducible(paper, false)).toBe(paper);
    expect(diffJson(paper, { latency: { clock: 'virtual', p50: 4 } })).toHaveLength(1);
  });
});
