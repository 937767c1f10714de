import type { CommandIo } from '../src/io.js';

/** An in-memory stdout and stderr for running CLI commands in-process. */
export function captureIo(): { io: CommandIo; stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  const stream = (append: (s: string) => void) =>
    ({
      write: (s: string) => {
        append(s);
        return true;
      },
      isTTY: false,
    }) as unknown as NodeJS.WritableStream;
  return {
    io: {
      stdout: stream((s) => {
        out += s;
      }),
      stderr: stream((s) => {
        err += s;
      }),
    },
    stdout: () => out,
    stderr: () => err,
  };
}
