/**
 * Progress of a replay on stderr. On a terminal one line redrawn in place; anywhere else
 * (a CI log, a file) a plain line every `everyMs` (5 s), so a long replay never looks stuck
 * and a short one prints nothing. Streamed input has no record count up front: the share of
 * the file read stands in for it.
 */
export function makeProgress(
  stderr: NodeJS.WritableStream,
  options: {
    isTTY: boolean;
    bytesRead?: (() => number) | undefined;
    fileSize?: number;
    everyMs?: number;
    now?: () => number;
  },
): { update: (done: number, total: number | undefined) => void; end: () => void } {
  const now = options.now ?? (() => performance.now());
  const everyMs = options.everyMs ?? 5000;
  const started = now();
  let lastLine = started;
  let drawn = false;
  const share = (done: number, total: number | undefined): number | undefined => {
    if (total !== undefined) return total === 0 ? 1 : done / total;
    if (options.bytesRead && options.fileSize) return Math.min(1, options.bytesRead() / options.fileSize);
    return undefined;
  };
  const describe = (done: number, total: number | undefined): string => {
    const part = share(done, total);
    const pct =
      part === undefined ? '' : ` (${Math.floor(part * 100)}%${total === undefined ? ' of the file' : ''})`;
    return `${done.toLocaleString('en-US')}${total === undefined ? '' : `/${total.toLocaleString('en-US')}`} records${pct}`;
  };
  return {
    update(done, total) {
      if (options.isTTY) {
        stderr.write(`\rreplaying ${describe(done, total)}`);
        drawn = true;
        return;
      }
      const t = now();
      if (t - lastLine < everyMs) return;
      lastLine = t;
      const seconds = (t - started) / 1000;
      stderr.write(
        `replay: ${describe(done, total)}, ${Math.round(done / seconds).toLocaleString('en-US')} records/s, ${Math.round(seconds)} s\n`,
      );
    },
    end() {
      if (drawn) stderr.write('\r\u001b[K');
    },
  };
}
