import { spawn } from 'node:child_process';

/**
 * V8 heap flags `tradenova replay` runs with. V8's defaults let the heap of a long replay grow
 * several times past what is live before it collects (128 MB of young generation alone was seen
 * in a 20,000-line replay, and the old generation grows well past its live size); these keep a 1,000,000-line
 * `--detail summary` replay under 256 MB peak RSS at the cost of more frequent collections.
 * Neither is a cap: a bigger config's heap still grows as far as it needs (V8's own limit).
 * They cannot be set at run time (a flag given then does not resize the young generation) and
 * `--heap-growing-percent` is not allowed in NODE_OPTIONS, hence the relaunch.
 * docs/benchmarks.md ("Replay memory by default") has the figures behind them.
 */
export const REPLAY_HEAP_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=20'];

/** Set (to anything but empty or `0`) to run `tradenova replay` in the process it started in. */
export const NO_RELAUNCH_ENV = 'TRADENOVA_NO_RELAUNCH';

/** Flags that, given by the user (command line or NODE_OPTIONS), mean they chose the heap's sizing. */
const USER_HEAP_FLAGS = [
  '--max-semi-space-size',
  '--max-old-space-size',
  '--heap-growing-percent',
  '--max-heap-size',
  '--optimize-for-size',
];

function namesHeapFlag(arg: string): boolean {
  const name = arg.split('=')[0]?.replaceAll('_', '-') ?? '';
  return USER_HEAP_FLAGS.includes(name);
}

/**
 * The node flags to relaunch this CLI process with, or undefined to run here: only for `replay`,
 * not when `TRADENOVA_NO_RELAUNCH` is set, not under `--inspect`, and not when the process (or
 * NODE_OPTIONS) already names a heap-sizing flag — the relaunched child has REPLAY_HEAP_FLAGS in its execArgv, so it
 * never relaunches again.
 */
export function replayRelaunchFlags(
  args: readonly string[],
  execArgv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): readonly string[] | undefined {
  if (args[0] !== 'replay') return undefined;
  const off = env[NO_RELAUNCH_ENV];
  if (off !== undefined && off !== '' && off !== '0') return undefined;
  const nodeOptions = (env.NODE_OPTIONS ?? '').split(/\s+/).filter((a) => a !== '');
  if ([...execArgv, ...nodeOptions].some(namesHeapFlag)) return undefined;
  // Under a debugger the work must stay in the process being debugged (a child would also
  // contend for the inspector's port).
  if ([...execArgv, ...nodeOptions].some((a) => a.startsWith('--inspect'))) return undefined;
  return REPLAY_HEAP_FLAGS;
}

/**
 * Runs this script again in a child node process with `flags` before the parent's own node
 * options, stdio inherited (stdin included, for `replay -`), and resolves with how it ended.
 * SIGINT and SIGTERM sent to this process are passed on to the child while it runs.
 */
export function relaunch(
  flags: readonly string[],
  proc: Pick<NodeJS.Process, 'execPath' | 'execArgv' | 'argv' | 'on' | 'off'> = process,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(proc.execPath, [...flags, ...proc.execArgv, ...proc.argv.slice(1)], {
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  proc.on('SIGINT', forward);
  proc.on('SIGTERM', forward);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      proc.off('SIGINT', forward);
      proc.off('SIGTERM', forward);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      proc.off('SIGINT', forward);
      proc.off('SIGTERM', forward);
      resolve({ code, signal });
    });
  });
}
