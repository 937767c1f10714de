import { describe, expect, it } from 'vitest';
import { shutdownSignal } from '../src/io.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('shutdownSignal', () => {
  it('holds the process open until it is told to stop, whatever else has closed', async () => {
    const before = timers();
    const signal = shutdownSignal();
    // A ref'd handle: with every broker socket closed and only unref'd retry timers left,
    // the process would otherwise exit mid-run (code 13, an unsettled top-level await).
    expect(timers()).toBe(before + 1);
    process.emit('SIGTERM', 'SIGTERM');
    await expect(signal.promise).resolves.toBe('SIGTERM');
    expect(timers()).toBe(before);
    signal.dispose();
  });

  it('lets go when disposed', () => {
    const before = timers();
    const signal = shutdownSignal();
    signal.dispose();
    expect(timers()).toBe(before);
  });
});
