import type { EngineEvent, LeaderActivity, Sink } from '@tradenova/core';

/**
 * The `--json` / no-TTY output: one engine event per line, exactly as the
 * engine emitted it, with secret values redacted. Leader activity goes out as
 * `{"type":"leader-activity",...}` lines and the run ends with one
 * `{"type":"session-stopped",...}` line.
 */
export function jsonLinesSink(
  out: NodeJS.WritableStream,
  redact: (text: string) => string,
): Sink & {
  leader(activity: LeaderActivity): void;
  line(value: Record<string, unknown>): void;
} {
  const write = (value: unknown) => {
    out.write(`${redact(JSON.stringify(value))}\n`);
  };
  return {
    name: 'json-lines',
    write(event: EngineEvent) {
      write(event);
    },
    leader(activity) {
      write({ type: 'leader-activity', ...activity });
    },
    line(value) {
      write(value);
    },
  };
}
