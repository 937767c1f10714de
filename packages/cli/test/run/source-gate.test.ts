import type { SignalResult, Source } from '@tradenova/core';
import { describe, expect, it } from 'vitest';
import { SourceGate } from '../../src/run/recovery-adopt.js';

/** A source whose signals are pushed by the test, and what reached the engine, in order. */
function harness(gate: SourceGate) {
  const seen: string[] = [];
  let push: ((signal: unknown) => Promise<SignalResult>) | undefined;
  const source: Source = {
    name: 'test',
    start: async (submit) => {
      push = submit;
    },
    stop: async () => {},
  };
  const engineSubmit = async (signal: unknown): Promise<SignalResult> => {
    // The engine plans a signal in the caller's turn: recorded synchronously.
    seen.push(`signal ${(signal as { id: string }).id}`);
    return { ok: true, outcomes: [] } as unknown as SignalResult;
  };
  return {
    seen,
    start: () => gate.wrap(source).start(engineSubmit),
    /** What a leader source does: submit the order's signal, then hand over its fill at once. */
    orderAndFill: (id: string) => {
      const result = push!({ id });
      gate.fill(() => seen.push(`fill ${id}`));
      return result;
    },
  };
}

describe('SourceGate', () => {
  it('lets a signal reach the engine before the fill handed over right after it, once open', async () => {
    const gate = new SourceGate();
    const h = harness(gate);
    await h.start();
    gate.open();
    await h.orderAndFill('A');
    expect(h.seen).toEqual(['signal A', 'fill A']);
  });

  it('holds signals and fills in one queue until open, then lets them through in their order', async () => {
    const gate = new SourceGate();
    const h = harness(gate);
    await h.start();
    const a = h.orderAndFill('A');
    const b = h.orderAndFill('B');
    expect(h.seen).toEqual([]);
    gate.open();
    await Promise.all([a, b]);
    await gate.drained();
    expect(h.seen).toEqual(['signal A', 'fill A', 'signal B', 'fill B']);
  });
});
