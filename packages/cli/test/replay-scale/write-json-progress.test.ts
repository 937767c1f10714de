import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { makeProgress } from '../../src/replay/progress.js';
import { writeJson } from '../../src/replay/write-json.js';

function sink(highWaterMark = 16) {
  const chunks: string[] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      setImmediate(done);
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('writeJson', () => {
  it('writes exactly what JSON.stringify(value, null, 2) makes, in parts, to every sink', async () => {
    const value = {
      version: 1,
      empty: [],
      none: {},
      skip: undefined,
      accounts: [
        {
          name: 'a',
          fills: Array.from({ length: 3000 }, (_, i) => ({ t: i, p: `${i}.25`, side: 'buy' })),
          status: [],
        },
        { name: 'b', fills: [], nested: { list: [1, 'two', null, { x: [] }] } },
      ],
      events: [{ signalId: 's', outcomes: { f1: 'filled' } }],
    };
    const a = sink();
    const b = sink(1 << 20);
    await writeJson(value, [a.stream, b.stream]);
    const expected = `${JSON.stringify(value, null, 2)}\n`;
    expect(a.text()).toBe(expected);
    expect(b.text()).toBe(expected);
  });
});

describe('replay progress', () => {
  it('without a terminal prints a plain line only every 5 s, with the share of the file read', () => {
    let now = 0;
    const out: string[] = [];
    const stderr = { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream;
    const p = makeProgress(stderr, { isTTY: false, bytesRead: () => 500, fileSize: 1000, now: () => now });
    now = 4_000;
    p.update(1000, undefined);
    expect(out).toEqual([]);
    now = 5_000;
    p.update(2000, undefined);
    now = 6_000;
    p.update(2500, undefined);
    p.end();
    expect(out).toEqual(['replay: 2,000 records (50% of the file), 400 records/s, 5 s\n']);
  });

  it('on a terminal redraws one line and clears it at the end', () => {
    const out: string[] = [];
    const stderr = { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream;
    const p = makeProgress(stderr, { isTTY: true });
    p.update(500, 1000);
    p.end();
    expect(out).toEqual(['\rreplaying 500/1,000 records (50%)', '\r\u001b[K']);
  });
});
