import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Contract, PlaceOrderRequest } from '@tradenova/core';
import { waitFor as waitForValue } from '@tradenova/core/testing';

/** The built CLI; the process tests run the real binary (npm run build -w tradenova). */
export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
export const BUILT = existsSync(BIN);

/** A running `tradenova …` child with its output collected as JSON lines. */
export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every stdout line parsed as JSON (non-JSON lines are skipped). */
  readonly lines: Record<string, unknown>[];
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
}

/** Starts the CLI with `args` in `cwd`. */
export function startCli(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, NO_COLOR: '1' } });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not a JSON line.
      }
      nl = buffered.indexOf('\n');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, lines, stderr: () => err, exited };
}

/** Runs the CLI to the end; returns exit code and output. */
export function runCli(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The argument order tests written before @tradenova/core/testing used (`what` first, a value
 * other than undefined ends the wait); new tests call `waitFor(check, { message, timeout })`.
 */
export function waitFor<T>(
  what: string,
  find: () => T | undefined,
  timeoutMs: number,
  show: () => string = () => '',
): Promise<T> {
  return waitForValue(
    () => {
      const found = find();
      return found === undefined ? undefined : { found };
    },
    { message: what, timeout: timeoutMs, interval: 50, context: show },
  ).then((value) => value.found);
}

/**
 * Successive `tradenova run -c config.yaml --json` copiers in the folder `dir()` names
 * (each restart a new one), for recovery tests.
 */
export function copierRuns(dir: () => string) {
  const processes: CliProcess[] = [];
  return {
    processes,
    start(): CliProcess {
      const p = startCli(['run', '-c', 'config.yaml', '--json'], dir());
      processes.push(p);
      return p;
    },
    /** Each run's exit and the end of its stderr, for a failed wait. */
    show: () =>
      processes
        .map((p, i) => `#${i} exit=${p.child.exitCode} stderr:\n${p.stderr().slice(-2000)}`)
        .join('\n'),
    /** The run's start-up recovery line, once printed. */
    recovered: (p: CliProcess) => p.lines.find((l) => l.type === 'recovered'),
    killAll(): void {
      for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    },
  };
}

/** A resting buy limit of 1 for the leader at a price of its own (its copies are found by it). */
export async function leaderBuyLimit(
  exchange: { placeOrder(request: PlaceOrderRequest): Promise<{ orderId: string }> },
  accountId: string,
  contract: Contract,
  limitTicks: number,
  clientOrderId: string,
): Promise<string> {
  const ack = await exchange.placeOrder({
    accountId,
    clientOrderId,
    contract,
    side: 'buy',
    qty: 1,
    orderType: 'limit',
    limitTicks,
  });
  return ack.orderId;
}
