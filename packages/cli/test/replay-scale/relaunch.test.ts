import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPLAY_HEAP_FLAGS, relaunch, replayRelaunchFlags } from '../../src/relaunch.js';

const root = resolve(import.meta.dirname, '../../../..');

describe('replayRelaunchFlags', () => {
  it('relaunches replay, and nothing else, with the heap flags', () => {
    expect(replayRelaunchFlags(['replay', 's.jsonl', '-c', 'c.yaml'], [], {})).toEqual(REPLAY_HEAP_FLAGS);
    expect(replayRelaunchFlags(['run', '-c', 'c.yaml'], [], {})).toBeUndefined();
    expect(replayRelaunchFlags(['validate', 'replay'], [], {})).toBeUndefined();
    expect(replayRelaunchFlags([], [], {})).toBeUndefined();
  });

  it('never caps the old generation (a bigger config must not run out of heap)', () => {
    expect(REPLAY_HEAP_FLAGS.some((f) => f.startsWith('--max-old-space-size'))).toBe(false);
    expect(REPLAY_HEAP_FLAGS.some((f) => f.startsWith('--max-heap-size'))).toBe(false);
  });

  it('does not relaunch the relaunched process: its execArgv holds the flags', () => {
    expect(
      replayRelaunchFlags(['replay', 's.jsonl'], [...REPLAY_HEAP_FLAGS, '--enable-source-maps'], {}),
    ).toBe(undefined);
  });

  it('leaves the heap alone when the user sized it, on the command line or in NODE_OPTIONS', () => {
    expect(replayRelaunchFlags(['replay', 's'], ['--max-old-space-size=4096'], {})).toBeUndefined();
    expect(replayRelaunchFlags(['replay', 's'], ['--max_semi_space_size=32'], {})).toBeUndefined();
    expect(
      replayRelaunchFlags(['replay', 's'], [], {
        NODE_OPTIONS: '--enable-source-maps  --max-semi-space-size=4',
      }),
    ).toBeUndefined();
    expect(
      replayRelaunchFlags(['replay', 's'], ['--enable-source-maps'], { NODE_OPTIONS: '--no-warnings' }),
    ).toEqual(REPLAY_HEAP_FLAGS);
  });

  it('stays in the process being debugged', () => {
    expect(replayRelaunchFlags(['replay', 's'], ['--inspect-brk=9230'], {})).toBeUndefined();
    expect(replayRelaunchFlags(['replay', 's'], [], { NODE_OPTIONS: '--inspect' })).toBeUndefined();
  });

  it('is turned off by TRADENOVA_NO_RELAUNCH (but not by an empty value or 0)', () => {
    expect(replayRelaunchFlags(['replay', 's'], [], { TRADENOVA_NO_RELAUNCH: '1' })).toBeUndefined();
    expect(replayRelaunchFlags(['replay', 's'], [], { TRADENOVA_NO_RELAUNCH: '' })).toEqual(
      REPLAY_HEAP_FLAGS,
    );
    expect(replayRelaunchFlags(['replay', 's'], [], { TRADENOVA_NO_RELAUNCH: '0' })).toEqual(
      REPLAY_HEAP_FLAGS,
    );
  });
});

/** A stand-in for `process` whose signal handlers the test can call. */
function fakeProcess(script: string, args: string[]) {
  const events = new EventEmitter();
  return Object.assign(events, {
    execPath: process.execPath,
    execArgv: ['--no-warnings'],
    argv: [process.execPath, script, ...args],
  }) as unknown as EventEmitter & Parameters<typeof relaunch>[1];
}

describe('relaunch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tradenova-relaunch-'));

  it('runs the script again with the flags before its node options and its arguments, and ends as it does', async () => {
    const script = join(dir, 'report.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';
       writeFileSync(process.argv[2], JSON.stringify({ execArgv: process.execArgv, args: process.argv.slice(3) }));
       process.exit(3);`,
    );
    const out = join(dir, 'seen.json');
    const proc = fakeProcess(script, [out, 'replay', 'x y.jsonl']);
    const ended = await relaunch(['--max-semi-space-size=8'], proc);
    expect(ended).toEqual({ code: 3, signal: null });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
      execArgv: ['--max-semi-space-size=8', '--no-warnings'],
      args: ['replay', 'x y.jsonl'],
    });
    expect(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).toBe(0);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'passes %s on to the child and reports the signal that ended it',
    async (signal) => {
      const script = join(dir, 'forever.mjs');
      writeFileSync(script, 'setInterval(() => {}, 60_000);');
      const proc = fakeProcess(script, []);
      const ending = relaunch([], proc);
      expect(proc.listenerCount(signal)).toBe(1);
      proc.emit(signal, signal);
      expect(await ending).toEqual({ code: null, signal });
      expect(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).toBe(0);
    },
  );
});

describe('the built binary', () => {
  // A preload that prints each process's node options: the parent's, then the relaunched child's.
  const printExecArgv =
    'data:text/javascript,process.stderr.write("execArgv="+JSON.stringify(process.execArgv)+"\\n")';
  const bin = join(root, 'packages/cli/dist/bin.js');
  const replayArgs = [
    'replay',
    join(root, 'examples/signals/session.jsonl'),
    '-c',
    join(root, 'examples/paper.yaml'),
    '--json',
    '--no-progress',
  ];
  const run = (env: Record<string, string>) =>
    promisify(execFile)(process.execPath, ['--import', printExecArgv, bin, ...replayArgs], {
      env: { ...process.env, NODE_OPTIONS: '', TRADENOVA_NO_RELAUNCH: '', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });

  it('replays in a child with the heap flags, its report on stdout', async () => {
    const { stdout, stderr } = await run({});
    const seen = stderr
      .split('\n')
      .filter((l) => l.startsWith('execArgv='))
      .map((l) => JSON.parse(l.slice('execArgv='.length)) as string[]);
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toContain(REPLAY_HEAP_FLAGS[0]);
    expect(seen[1]).toEqual([...REPLAY_HEAP_FLAGS, '--import', printExecArgv]);
    expect(JSON.parse(stdout).accounts).toHaveLength(20);
  });

  it('replays in its own process with TRADENOVA_NO_RELAUNCH=1', async () => {
    const { stdout, stderr } = await run({ TRADENOVA_NO_RELAUNCH: '1' });
    expect(stderr.split('\n').filter((l) => l.startsWith('execArgv='))).toHaveLength(1);
    expect(JSON.parse(stdout).accounts).toHaveLength(20);
  });
});
