import { makeRedactor } from './redact.js';

/** Output streams as the commands use them. */
export interface OutputIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * The same streams with every secret value replaced by `[redacted]` in what is written: a value
 * that came from `${secret:}` or `${env:}` (used as an account id, say) never prints in a report,
 * a JSON line or an error, whichever field carries it. Other properties (isTTY, columns) pass through.
 */
export function redactingIo<T extends OutputIo>(io: T, secrets: readonly string[]): T {
  const redact = makeRedactor(secrets);
  if (secrets.length === 0) return io;
  const wrap = <S extends NodeJS.WritableStream>(stream: S): S =>
    new Proxy(stream, {
      get(target, key, receiver) {
        if (key === 'write') {
          return (chunk: unknown, ...rest: unknown[]) =>
            (target.write as (...a: unknown[]) => boolean).call(
              target,
              typeof chunk === 'string'
                ? redact(chunk)
                : Buffer.isBuffer(chunk)
                  ? redact(chunk.toString('utf8'))
                  : chunk,
              ...rest,
            );
        }
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return { ...io, stdout: wrap(io.stdout), stderr: wrap(io.stderr) };
}
