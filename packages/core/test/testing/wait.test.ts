import { EventEmitter } from 'node:events';
import { WaitTimeoutError, waitFor, waitForEvent } from '@tradenova/core/testing';
import { describe, expect, it } from 'vitest';

describe('waitFor', () => {
  it('resolves with the first truthy value the check returns', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { interval: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it('awaits an async check and asks again after it throws', async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls += 1;
        expect(calls).toBeGreaterThan(2);
        return 'ready';
      },
      { interval: 1 },
    );
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });

  it('fails naming what was awaited, the last value seen and the context', async () => {
    const waiting = waitFor(() => false, {
      message: 'the fill on follower B',
      timeout: 30,
      interval: 5,
      context: () => 'stderr: nothing',
    });
    await expect(waiting).rejects.toThrow(WaitTimeoutError);
    await expect(waiting).rejects.toThrow(
      /timed out after 30 ms waiting for the fill on follower B; last value false\nstderr: nothing/,
    );
  });

  it('names the last error a throwing check raised', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('position is 1, expected 2');
        },
        { message: 'the position', timeout: 20, interval: 5 },
      ),
    ).rejects.toThrow(/waiting for the position; last error position is 1, expected 2/);
  });
});

describe('waitForEvent', () => {
  it('resolves with the first matching event of an on(listener) => unsubscribe source', async () => {
    const listeners = new Set<(event: { type: string; n: number }) => void>();
    const on = (listener: (event: { type: string; n: number }) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    };
    const emit = (event: { type: string; n: number }) => {
      for (const l of [...listeners]) l(event);
    };
    const waiting = waitForEvent(on, (e) => e.type === 'filled');
    emit({ type: 'placed', n: 1 });
    emit({ type: 'filled', n: 2 });
    await expect(waiting).resolves.toEqual({ type: 'filled', n: 2 });
    expect(listeners.size).toBe(0);
  });

  it('resolves with the first argument of a Node emitter event, and removes its listener', async () => {
    const emitter = new EventEmitter();
    const waiting = waitForEvent<number>(emitter, 'tick', (n) => n > 1);
    emitter.emit('tick', 1);
    emitter.emit('tick', 2);
    await expect(waiting).resolves.toBe(2);
    expect(emitter.listenerCount('tick')).toBe(0);
  });

  it('fails naming the event and the last one that did not match, and unsubscribes', async () => {
    const emitter = new EventEmitter();
    const waiting = waitForEvent<{ id: string }>(emitter, 'order', (o) => o.id === 'b', { timeout: 20 });
    emitter.emit('order', { id: 'a' });
    await expect(waiting).rejects.toThrow(
      /timed out after 20 ms waiting for the 'order' event; last event not matching \{ id: 'a' \}/,
    );
    expect(emitter.listenerCount('order')).toBe(0);
  });
});
