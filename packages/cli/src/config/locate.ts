import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

/** Where a path points in a YAML document: the value node, or the nearest parent that exists. */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  options: { atKey?: boolean } = {},
): { line: number; column: number } {
  let node: unknown = doc.contents;
  let best: [number, number, number] | undefined = rangeOf(node);
  for (const [i, part] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part),
      );
      if (!pair) break;
      // Point at the key of a pair; its value next, if there is one.
      best = rangeOf(pair.key) ?? best;
      if (options.atKey && i === path.length - 1) break;
      node = pair.value;
      best = rangeOf(node) ?? best;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      if (node === undefined) break;
      best = rangeOf(node) ?? best;
    } else {
      break;
    }
  }
  const offset = best?.[0] ?? 0;
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function rangeOf(node: unknown): [number, number, number] | undefined {
  const r = (node as Node | undefined)?.range;
  return r ? [r[0], r[1], r[2]] : undefined;
}
