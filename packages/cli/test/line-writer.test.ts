import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { lineWriter } from '../src/line-writer.js';

/** A stream that records each call that reached it: one per system call on a real pipe. */
function recording() {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      calls.push([String(chunk)]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map((c) => String(c.chunk)));
      done();
    },
  });
  return { stream, calls };
}

it('writes the lines of one tick in one call, in order, and nothing waits past the tick', async () => {
  const { stream, calls } = recording();
  const print = lineWriter(stream);
  for (let i = 0; i < 20; i++) print(`line ${i}\n`);
  await new Promise((resolve) => process.nextTick(resolve));
  expect(calls).toHaveLength(1);
  expect(calls[0]).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i}\n`));
  // A later tick's lines are a call of their own, after the first.
  print('later\n');
  await new Promise((resolve) => process.nextTick(resolve));
  expect(calls).toHaveLength(2);
  expect(calls[1]).toEqual(['later\n']);
});

it('writes directly to a stream that cannot cork', () => {
  const written: string[] = [];
  const plain = { write: (text: string) => written.push(text) } as unknown as NodeJS.WritableStream;
  lineWriter(plain)('one\n');
  expect(written).toEqual(['one\n']);
});
