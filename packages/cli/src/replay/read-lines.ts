import { createReadStream, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * The lines of a file as it is read, for a session too big to hold: one chunk in memory
 * at a time (the loop that consumes the lines pulls the next chunk), `bytesRead` for
 * progress. A last line without a newline is still a line.
 */
export function readLines(file: string): {
  lines: AsyncIterable<string>;
  size: number;
  bytesRead: () => number;
} {
  const size = statSync(file).size;
  let bytes = 0;
  async function* lines(): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8');
    let tail = '';
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
      bytes += (chunk as Buffer).length;
      const text = tail + decoder.write(chunk as Buffer);
      let from = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
        yield text.charCodeAt(nl - 1) === 13 ? text.slice(from, nl - 1) : text.slice(from, nl);
        from = nl + 1;
      }
      tail = text.slice(from);
    }
    tail += decoder.end();
    if (tail !== '') yield tail;
  }
  return { lines: lines(), size, bytesRead: () => bytes };
}
