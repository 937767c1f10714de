import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

/** Where an outside program (chromium, promtool, prometheus) is, from `envName` or PATH. */
export function findProgram(name: string, envName: string): string | undefined {
  const explicit = process.env[envName]?.trim();
  if (explicit) return explicit;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

/**
 * `describe` for a suite that needs a real program (a Debian package). Found, the suite
 * runs with its path; missing, it is skipped with a message that says how to install it,
 * except under TRADENOVA_REQUIRE_SERVICES=1 (CI), where the suite fails instead.
 */
export function describeWithProgram(
  program: { name: string; env: string; apt: string },
  title: string,
  body: (path: string) => void,
): void {
  const path = findProgram(program.name, program.env);
  if (path) {
    describe(title, () => body(path));
    return;
  }
  const message = `${program.name} not found (set ${program.env} or: apt-get install -y ${program.apt})`;
  const required = ['1', 'true'].includes(process.env.TRADENOVA_REQUIRE_SERVICES ?? '');
  if (required) {
    describe(title, () => {
      it(`needs ${program.name}`, () => {
        throw new Error(`${message}; CI must run this suite (TRADENOVA_REQUIRE_SERVICES is set)`);
      });
    });
    return;
  }
  console.warn(`\n\u001b[33m!!! SKIPPED "${title}": ${message}\u001b[0m\n`);
  describe.skip(title, () => body(''));
}
