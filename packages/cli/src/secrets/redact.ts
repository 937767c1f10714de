/**
 * Replaces every secret value in a text with `[redacted]`, both as written and
 * as JSON would escape it, so a credential never reaches a log line or an event.
 */
export function makeRedactor(secrets: readonly string[]): (text: string) => string {
  const needles = [
    ...new Set(secrets.filter((s) => s.length > 0).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)])),
  ].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const n of needles) out = out.split(n).join('[redacted]');
    return out;
  };
}
