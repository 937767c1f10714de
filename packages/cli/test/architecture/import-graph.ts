/**
 * The import graph of a package's sources, read with the TypeScript compiler's own import
 * scanner (every `import`, `import type`, `export … from` and `import()`), and the checks the
 * architecture tests run on it: imports that go up a layer, and loops between files or folders.
 * The checks are pure functions of the edge list, so they are tested on hand-made graphs too.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One relative import: `from` imports `to` (both relative to the source root, with `/`). */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  /** 1-based line of the import in `from`. */
  readonly line: number;
  readonly specifier: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The file a relative specifier names (`./x.js` is `x.ts` or `x.tsx`, a folder is its index). */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier).replace(/\.jsx?$/, '');
  return [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')].find(isFile);
}

/** Every relative import between the files under `root` (packages outside it are not edges). */
export function importGraph(root: string): { files: string[]; edges: ImportEdge[] } {
  const name = (path: string) => relative(root, path).split('\\').join('/');
  const paths = sourceFiles(root);
  const edges: ImportEdge[] = [];
  for (const path of paths) {
    const text = readFileSync(path, 'utf8');
    for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
      const specifier = imported.fileName;
      if (!specifier.startsWith('.')) continue;
      // Outside the sources (`../package.json`) or not a source file: not an edge of this graph.
      const named = resolve(dirname(path), specifier);
      if (name(named).startsWith('..') || isFile(named)) continue;
      const target = resolveSpecifier(path, specifier);
      if (!target) throw new Error(`${name(path)}: cannot resolve ${specifier}`);
      const line = text.slice(0, imported.pos).split('\n').length;
      edges.push({ from: name(path), to: name(target), line, specifier });
    }
  }
  return { files: paths.map(name), edges };
}

/** The unit a file belongs to: its top folder (`run/live.ts` → `run`), or the file itself at the root. */
export function unitOf(file: string): string {
  const slash = file.indexOf('/');
  return slash < 0 ? file : file.slice(0, slash);
}

const where = (e: ImportEdge) => `${e.from}:${e.line} imports '${e.specifier}'`;

/**
 * Imports that go up: from a unit to one of a higher layer. `layers` gives each unit its layer
 * (higher is nearer the entry point); a file in a unit with no layer is reported too.
 */
export function upwardImports(
  files: readonly string[],
  edges: readonly ImportEdge[],
  layers: Readonly<Record<string, number>>,
): string[] {
  const problems: string[] = [];
  const unplaced = new Set(files.map(unitOf).filter((u) => layers[u] === undefined));
  for (const unit of [...unplaced].sort())
    problems.push(`${unit} is in no layer: give it one (the test's layer table and docs/architecture.md)`);
  for (const e of edges) {
    const [from, to] = [unitOf(e.from), unitOf(e.to)];
    const [a, b] = [layers[from], layers[to]];
    if (a === undefined || b === undefined || b <= a) continue;
    problems.push(`${where(e)}: ${from} (layer ${a}) must not import ${to} (layer ${b})`);
  }
  return problems;
}

/** Strongly connected groups of more than one node (Tarjan): each is an import loop. */
function loopsOf(nodes: Iterable<string>, next: (node: string) => readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) loops.push(group.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return loops;
}

/**
 * Import loops, between files (`by: 'file'`) or between the units files belong to (`by: 'unit'`):
 * one message per loop, naming the imports that close it.
 */
export function importLoops(edges: readonly ImportEdge[], by: 'file' | 'unit'): string[] {
  const key = by === 'file' ? (f: string) => f : unitOf;
  const inner = edges.filter((e) => key(e.from) !== key(e.to));
  const next = new Map<string, string[]>();
  for (const e of inner) next.set(key(e.from), [...(next.get(key(e.from)) ?? []), key(e.to)]);
  const nodes = new Set(inner.flatMap((e) => [key(e.from), key(e.to)]));
  return loopsOf(nodes, (n) => next.get(n) ?? []).map((group) => {
    const members = new Set(group);
    // One import per direction named (the first), with how many more there are.
    const byPair = new Map<string, ImportEdge[]>();
    for (const e of inner) {
      if (!members.has(key(e.from)) || !members.has(key(e.to))) continue;
      const pair = `${key(e.from)} -> ${key(e.to)}`;
      byPair.set(pair, [...(byPair.get(pair) ?? []), e]);
    }
    const closing = [...byPair.values()].map(
      (list) => `${where(list[0]!)}${list.length > 1 ? ` (+${list.length - 1} more)` : ''}`,
    );
    return `loop between ${group.join(', ')}: ${closing.join('; ')}`;
  });
}
