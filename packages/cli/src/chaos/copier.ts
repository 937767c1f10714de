import { type ChildProcess, spawn } from 'node:child_process';

/**
 * The copier under test: `tradenova run -c <config> --json` as a child process of this
 * very CLI, so a kill is a real kill. Collects its JSON lines.
 */
export class CopierProcess {
  readonly lines: Record<string, unknown>[] = [];
  #child: ChildProcess | undefined;
  #exited: Promise<number | string> = Promise.resolve(0);
  #stderr = '';
  /** Times started; `recovered` lines are counted against it. */
  starts = 0;
  #lastOutput = Date.now();
  #failedStarts = 0;

  constructor(
    private readonly bin: string,
    private readonly configFile: string,
    private readonly cwd: string,
  ) {}

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** ms since the copier last printed anything. */
  get quietMs(): number {
    return Date.now() - this.#lastOutput;
  }

  stderrTail(chars = 2000): string {
    return this.#stderr.slice(-chars);
  }

  start(): void {
    const child = spawn(process.execPath, [this.bin, 'run', '-c', this.configFile, '--json'], {
      cwd: this.cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.starts++;
    // A mark in the lines, for a post-mortem's timeline (`TN_CHAOS_KEEP`).
    this.lines.push({ type: 'chaos-copier-start', time: Date.now(), start: this.starts });
    this.#child = child;
    let buffered = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#lastOutput = Date.now();
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a JSON line
        }
        nl = buffered.indexOf('\n');
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-20_000);
    });
    this.#exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
    );
  }

  /** Resolves once this start printed its `recovered` line (the copier copies from then on). */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.filter((l) => l.type === 'recovered').length < this.starts - this.#failedStarts) {
      if (!this.running) {
        this.#failedStarts++;
        throw new Error(`the copier exited before it was ready\n${this.stderrTail()}`);
      }
      if (Date.now() > deadline)
        throw new Error(`the copier was not ready after ${timeoutMs} ms\n${this.stderrTail()}`);
      await sleep(50);
    }
  }

  /**
   * Starts the copier and waits until it is ready, starting it again (as a supervisor such
   * as systemd would) when it exits before that: a broker may refuse a burst of logins
   * right after a crash. Each refused start is noted in `restarts`.
   */
  async startReady(timeoutMs: number, attempts = 6): Promise<void> {
    for (let i = 1; ; i++) {
      this.start();
      try {
        await this.ready(timeoutMs);
        return;
      } catch (error) {
        // Exit 2 is the copier refusing its input: no restart changes that, unless what it
        // refused was a broker not answering at start (on a loaded machine, a login can take
        // longer than the adapter waits): a supervisor starts it again, and so does chaos.
        const refusedInput = this.#child?.exitCode === 2 && !TRANSIENT_START.test(this.stderrTail(2000));
        if (this.running || i >= attempts || refusedInput) throw error;
        this.refused.push(this.stderrTail(300).trim().split('\n').at(-1) ?? 'exited');
        if (process.env.TN_CHAOS_DEBUG)
          process.stderr.write(`--- refused start:\n${this.stderrTail(4000)}\n`);
        await sleep(1000 * 2 ** Math.min(i, 3));
      }
    }
  }

  /** Why starts were refused (the copier exited before it was ready), oldest first. */
  readonly refused: string[] = [];

  /** Sends `signal` and waits for the exit; returns the exit code or signal name. */
  async stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<number | string> {
    if (!this.running) return this.#exited;
    this.#child?.kill(signal);
    return this.#exited;
  }
}

/** Start failures that are a broker or service not answering, not a bad config. */
const TRANSIENT_START =
  /TN_ERR_(BROKER_DISCONNECTED|BROKER_TIMEOUT|BROKER_UNAVAILABLE|BROKER_RATE_LIMITED|SERVICE_UNAVAILABLE)/;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
