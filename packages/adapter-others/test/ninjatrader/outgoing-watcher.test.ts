import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, systemClock } from '@tradenova/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type OutgoingFile, OutgoingWatcher } from '../../src/ninjatrader/client/outgoing-watcher.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function watching() {
  const dir = await mkdtemp(join(tmpdir(), 'tn-nt-watch-'));
  const seen: OutgoingFile[] = [];
  let arrived: (() => void) | undefined;
  const watcher = new OutgoingWatcher({
    dir,
    clock: systemClock,
    logger: silentLogger,
    debounceMs: 2,
    rescanMs: 60_000,
    onChange: (file) => {
      seen.push(file);
      arrived?.();
    },
  });
  await watcher.start();
  cleanup.push(async () => {
    watcher.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const next = (count: number) =>
    new Promise<void>((resolve) => {
      arrived = () => seen.length >= count && resolve();
      arrived();
    });
  return { dir, seen, watcher, next };
}

describe('OutgoingWatcher', () => {
  it('does not hand over a file emptied for its rewrite, then hands over what was written', async () => {
    const { dir, seen, watcher, next } = await watching();
    // NinjaTrader truncates the file before it writes the new state.
    await writeFile(join(dir, 'abc.txt'), '');
    await watcher.scan();
    expect(seen).toEqual([]);
    await writeFile(join(dir, 'abc.txt'), 'FILLED;1;21000.25');
    await next(1);
    expect(seen.map((f) => [f.name, f.text])).toEqual([['abc.txt', 'FILLED;1;21000.25']]);
  });

  it('hands over a notified file at once, whole, and each new state of it', async () => {
    const { dir, seen, next } = await watching();
    await writeFile(join(dir, 'o1.txt'), 'WORKING;0;0');
    await next(1);
    await writeFile(join(dir, 'o1.txt'), 'FILLED;1;21000.25');
    await next(2);
    expect(seen.map((f) => f.text)).toEqual(['WORKING;0;0', 'FILLED;1;21000.25']);
  });
});
