/**
 * What every command writes to and stops on: its output streams, and the process signals
 * that end a long-running command. At the bottom of the CLI's layers (docs/architecture.md),
 * so commands, runs and roles share it without importing each other.
 */

/** The streams a command writes to (tests pass captured ones). */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Resolves on SIGINT or SIGTERM; `dispose` removes the handlers. */
export function shutdownSignal(): { promise: Promise<string>; dispose: () => void } {
  let dispose = () => {};
  // A process waiting to be told to stop stays alive until it is. Adapters' reconnect and poll
  // timers are unref'd (a library must not hold a process open), so with every broker away at
  // once (all sockets closed, each connection waiting to try again) nothing else would: Node
  // would exit mid-run with code 13 (found by `tradenova chaos`: two simulators restarting together).
  const keepAlive = setInterval(() => undefined, 60_000);
  const promise = new Promise<string>((resolve) => {
    const on = (signal: string) => () => {
      clearInterval(keepAlive);
      resolve(signal);
    };
    const int = on('SIGINT');
    const term = on('SIGTERM');
    process.once('SIGINT', int);
    process.once('SIGTERM', term);
    dispose = () => {
      clearInterval(keepAlive);
      process.off('SIGINT', int);
      process.off('SIGTERM', term);
    };
  });
  return { promise, dispose: () => dispose() };
}
