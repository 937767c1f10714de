import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ImportEdge, importGraph, importLoops, unitOf, upwardImports } from './import-graph.js';

/**
 * The CLI's layers (docs/architecture.md, "The CLI's layers"): a file imports its own folder, a
 * lower layer, or sideways within its layer, never up; and folders import each other one way.
 */
const CLI_LAYERS: Readonly<Record<string, number>> = {
  // 5. Entry: the binary, the command tree, the package's library entry.
  'bin.ts': 5,
  'relaunch.ts': 5,
  'main.ts': 5,
  'program.ts': 5,
  'index.ts': 5,
  'help.ts': 5,
  // 4. One file per command: parses flags, opens what the command needs, runs a workflow.
  commands: 4,
  // 3. Workflows: a live session, a replay report, the scale-out roles, chaos drills, the control API.
  run: 3,
  replay: 3,
  'scale-out': 3,
  chaos: 3,
  api: 3,
  // 2. Parts a workflow composes: the dashboard, metrics, services, signal sources, brokers, config, secrets.
  ui: 2,
  metrics: 2,
  services: 2,
  sources: 2,
  brokers: 2,
  config: 2,
  secrets: 2,
  init: 2,
  // 1. Shared by all: errors and exit codes, command I/O and shutdown, small helpers.
  'errors.ts': 1,
  'io.ts': 1,
  'did-you-mean.ts': 1,
  'version.ts': 1,
};

const source = (pkg: string) => fileURLToPath(new URL(`../../../${pkg}/src/`, import.meta.url));

describe('the CLI imports only down its layers', () => {
  const { files, edges } = importGraph(source('cli'));

  it('reads the graph (a sanity check on the reader: run/ uses ui/ and services/)', () => {
    expect(files).toContain('run/live.ts');
    const units = new Set(edges.map((e) => `${unitOf(e.from)} -> ${unitOf(e.to)}`));
    expect(units).toContain('run -> ui');
    expect(units).toContain('run -> services');
  });

  it('has no upward import and no folder outside a layer', () => {
    expect(upwardImports(files, edges, CLI_LAYERS)).toEqual([]);
  });

  it('has folders that import each other one way (run/ -> ui/, never back)', () => {
    expect(importLoops(edges, 'unit')).toEqual([]);
  });

  it('has no import loop between files', () => {
    expect(importLoops(edges, 'file')).toEqual([]);
  });
});

describe('@tradenova/core has no import loop', () => {
  const { edges } = importGraph(source('core'));

  it('between files', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(importLoops(edges, 'file')).toEqual([]);
  });

  it('between its folders', () => {
    expect(importLoops(edges, 'unit')).toEqual([]);
  });
});

describe('the checks name the offending import', () => {
  const edge = (from: string, to: string, line = 1): ImportEdge => ({
    from,
    to,
    line,
    specifier: `./${to}`,
  });
  const layers = { commands: 4, run: 3, ui: 2, 'io.ts': 1 };

  it('an import up a layer, and a folder with no layer', () => {
    const edges = [edge('commands/run.ts', 'run/live.ts'), edge('run/live.ts', 'commands/replay.ts', 3)];
    expect(upwardImports(['commands/run.ts', 'run/live.ts', 'extra/x.ts'], edges, layers)).toEqual([
      "extra is in no layer: give it one (the test's layer table and docs/architecture.md)",
      "run/live.ts:3 imports './commands/replay.ts': run (layer 3) must not import commands (layer 4)",
    ]);
  });

  it('a loop between folders, and one between files', () => {
    const edges = [
      edge('run/live.ts', 'ui/render.tsx', 5),
      edge('run/live.ts', 'ui/app.tsx', 6),
      edge('ui/render.tsx', 'run/session.ts', 2),
      edge('run/session.ts', 'io.ts'),
    ];
    expect(importLoops(edges, 'unit')).toEqual([
      "loop between run, ui: run/live.ts:5 imports './ui/render.tsx' (+1 more); ui/render.tsx:2 imports './run/session.ts'",
    ]);
    expect(importLoops(edges, 'file')).toEqual([]);
    expect(importLoops([...edges, edge('run/session.ts', 'run/live.ts', 9)], 'file')).toEqual([
      "loop between run/live.ts, run/session.ts, ui/render.tsx: run/live.ts:5 imports './ui/render.tsx'; ui/render.tsx:2 imports './run/session.ts'; run/session.ts:9 imports './run/live.ts'",
    ]);
  });
});
