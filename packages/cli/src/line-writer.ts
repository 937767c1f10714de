/**
 * Writes text to a stream, everything written in one tick in one write: the stream is
 * corked at the first write and uncorked on the next tick. `--json` prints an event per
 * line and a signal makes dozens at once; on a pipe each `write` was a system call of its
 * own (about 8 % of a busy executor's CPU). Order is kept, nothing waits past the tick,
 * and a stream that cannot cork is written to directly.
 */
export function lineWriter(out: NodeJS.WritableStream): (text: string) => void {
  const stream = out as NodeJS.WritableStream & { cork?: () => void; uncork?: () => void };
  const cork = stream.cork?.bind(stream);
  const uncork = stream.uncork?.bind(stream);
  if (!cork || !uncork) return (text) => void out.write(text);
  let corked = false;
  return (text) => {
    if (!corked) {
      corked = true;
      cork();
      process.nextTick(() => {
        corked = false;
        uncork();
      });
    }
    out.write(text);
  };
}
