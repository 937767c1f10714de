import { closest } from '../did-you-mean.js';
import { configJsonSchema } from './json-schema.js';

type Node = Record<string, unknown>;
let schema: Node | undefined;

/**
 * "Did you mean" for an unknown config key: the nearest key the config schema allows at that
 * place (`path` is the key's parent, as zod reports it), or undefined when none is close.
 */
export function suggestKey(path: readonly PropertyKey[], key: string): string | undefined {
  schema ??= configJsonSchema();
  let nodes: Node[] = [schema];
  for (const part of path) nodes = nodes.flatMap((n) => childrenOf(n, part));
  const known = new Set(
    nodes.flatMap((n) => alternatives(n)).flatMap((n) => Object.keys((n.properties as Node) ?? {})),
  );
  return closest(key, [...known]);
}

/** A node and the alternatives it stands for (anyOf / oneOf / allOf). */
function alternatives(node: Node): Node[] {
  const more = ['anyOf', 'oneOf', 'allOf'].flatMap((k) =>
    Array.isArray(node[k]) ? (node[k] as Node[]) : [],
  );
  return [node, ...more.flatMap(alternatives)];
}

function childrenOf(node: Node, part: PropertyKey): Node[] {
  return alternatives(node).flatMap((n) => {
    if (typeof part === 'number') return n.items && typeof n.items === 'object' ? [n.items as Node] : [];
    const props = n.properties as Record<string, Node> | undefined;
    const named = props?.[String(part)];
    if (named) return [named];
    const extra = n.additionalProperties;
    return extra && typeof extra === 'object' ? [extra as Node] : [];
  });
}
