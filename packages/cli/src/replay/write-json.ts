import { once } from 'node:events';

/**
 * Writes a value as `JSON.stringify(value, null, 2)` followed by a newline, byte for byte,
 * without ever holding the whole text: a report with millions of fills is past the longest
 * string V8 can make. Objects and arrays that hold arrays are written part by part; anything
 * smaller (one fill, one event) in one piece. Waits when a sink asks it to (backpressure).
 */
export async function writeJson(value: unknown, sinks: readonly NodeJS.WritableStream[]): Promise<void> {
  let buffer = '';
  const flush = async () => {
    const text = buffer;
    buffer = '';
    for (const sink of sinks) {
      if (!sink.write(text)) await once(sink, 'drain');
    }
  };
  for (const piece of pieces(value, '')) {
    buffer += piece;
    if (buffer.length >= 1 << 20) await flush();
  }
  buffer += '\n';
  await flush();
}

function* pieces(value: unknown, indent: string): Generator<string> {
  if (!holdsArrays(value)) {
    const text = JSON.stringify(value, null, 2) ?? 'null';
    yield indent === '' ? text : text.replaceAll('\n', `\n${indent}`);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    yield '[\n';
    for (let i = 0; i < value.length; i++) {
      yield inner;
      yield* pieces(value[i] ?? null, inner);
      yield i < value.length - 1 ? ',\n' : '\n';
    }
    yield `${indent}]`;
    return;
  }
  const entries = Object.entries(value as object).filter(
    ([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol',
  );
  yield '{\n';
  for (let i = 0; i < entries.length; i++) {
    const [key, v] = entries[i]!;
    yield `${inner}${JSON.stringify(key)}: `;
    yield* pieces(v, inner);
    yield i < entries.length - 1 ? ',\n' : '\n';
  }
  yield `${indent}}`;
}

/** A non-empty array, or a plain object with a non-empty array among its values: worth writing in parts. */
function holdsArrays(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || 'toJSON' in value) return false;
  if (Array.isArray(value)) return value.length > 0;
  for (const v of Object.values(value)) if (Array.isArray(v) && v.length > 0) return true;
  return false;
}
