import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/** The repository root, from this file (packages/adapter-others/test/fix). */
const ROOT = resolve(import.meta.dirname, '../../../..');
const TOOL = join(ROOT, 'tools/quickfixj');
const SOURCE = join(TOOL, 'src/main/java/dev/tradenova/tools/Initiator.java');

/** Whether a command runs here (`<tool> -version` exits 0). */
function runs(tool: string): boolean {
  return spawnSync(tool, ['-version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether the harness runs: with Java and Maven on PATH it does; without them it is
 * skipped with a printed reason, except in CI (CI=true or TRADENOVA_REQUIRE_SERVICES=1),
 * where it must fail instead.
 */
export function quickfixjGate(
  env: Record<string, string | undefined>,
  has: (tool: string) => boolean = runs,
): { action: 'run' } | { action: 'skip' | 'fail'; message: string } {
  const missing = ['java', 'mvn'].filter((tool) => !has(tool));
  if (missing.length === 0) return { action: 'run' };
  const what = `${missing.join(' and ')} not found: the QuickFIX/J interoperability test needs Java 17+ and Maven 3`;
  const flag = (v: string | undefined) => v === '1' || v === 'true';
  return flag(env.TRADENOVA_REQUIRE_SERVICES) || flag(env.CI)
    ? { action: 'fail', message: `${what}, and CI must run it (CI / TRADENOVA_REQUIRE_SERVICES is set)` }
    : { action: 'skip', message: `SKIPPED ${what}` };
}

/**
 * Builds the harness once per content of its pom and source, into a cache outside the
 * checkout (as scripts/services.sh caches Kafka), so a clean clone reuses it. Returns
 * the Java classpath. Maven's output is shown only when the build fails.
 */
export function buildQuickfixj(env: Record<string, string | undefined> = process.env): string {
  const cache =
    env.TRADENOVA_SERVICES_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tradenova');
  const hash = createHash('sha256')
    .update(readFileSync(join(TOOL, 'pom.xml')))
    .update(readFileSync(SOURCE))
    .digest('hex')
    .slice(0, 12);
  const out = join(cache, `quickfixj-harness-${hash}`);
  const classpath = [join(out, 'classes'), join(out, 'lib', '*')].join(delimiter);
  if (existsSync(join(out, 'built'))) return classpath;
  mkdirSync(cache, { recursive: true });
  const partial = `${out}.partial.${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const build = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(TOOL, 'pom.xml'),
      `-Dharness.out=${partial}`,
      'package',
      'dependency:copy-dependencies',
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (build.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`building tools/quickfixj failed:\n${build.stdout}\n${build.stderr}`);
  }
  writeFileSync(join(partial, 'built'), new Date().toISOString());
  // Renamed into place only when complete, so an interrupted build is never taken for a cache.
  rmSync(out, { recursive: true, force: true });
  try {
    renameSync(partial, out);
  } catch (error) {
    // Another run built the same harness at the same moment: use its copy.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(join(out, 'built'))) throw error;
  }
  return classpath;
}

/** What the harness printed, and how it ended. */
export interface HarnessRun {
  lines: string[];
  code: number | null;
}

/** Runs the initiator to its end (or `timeoutMs`) and returns every line it printed. */
export function runQuickfixj(classpath: string, args: string[], timeoutMs: number): Promise<HarnessRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('java', ['-cp', classpath, 'dev.tradenova.tools.Initiator', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter(Boolean);
      if (stderr.trim()) lines.push(...stderr.split('\n').map((l) => `STDERR ${l}`));
      resolvePromise({ lines, code });
    });
  });
}

/** A FIX message line of the harness (`IN ...` / `OUT ...`) as tag → value (last one wins). */
export function fields(line: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const part of line.slice(line.indexOf(' ') + 1).split('|')) {
    const eq = part.indexOf('=');
    if (eq > 0) map.set(Number(part.slice(0, eq)), part.slice(eq + 1));
  }
  return map;
}
