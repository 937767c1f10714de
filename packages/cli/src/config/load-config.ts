import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue, type EngineConfig, engineConfigSchema } from '@tradenova/core';
import { formatPath } from '@tradenova/core/config';
import { type Document, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { CliError } from '../errors.js';
import { type SecretLookup, vaultSecrets } from '../secrets/resolver.js';
import { VaultError } from '../secrets/vault.js';
import { crossCheck } from './cross-checks.js';
import { suggestKey } from './key-hint.js';
import { locate } from './locate.js';

/** Where `${...}` references get their values. */
export interface ReferenceResolver {
  env: NodeJS.ProcessEnv;
  /**
   * Resolves `${secret:name}`. Absent: the vault that `env` points to
   * (`TRADENOVA_VAULT`, else `.tradenova/secrets.vault`), opened with the key
   * from `env` on the first secret reference (see secrets/resolver.ts).
   */
  secret?: SecretLookup | ((name: string) => string | undefined);
}

const REFERENCE = /\$\{(env|secret):([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/** Loaded config plus the values that must never be printed (resolved secrets). */
export interface LoadedConfig {
  config: EngineConfig;
  file: string;
  /** Values resolved from references; reporters redact them. */
  secrets: string[];
  /** References left as written because `lenientReferences` was set. */
  unresolved: string[];
  /** Where a field path is in the file (for problems found after loading, e.g. by `validate`). */
  locate(path: readonly PropertyKey[]): { line: number; column: number };
}

/**
 * Aliases a config may expand. yaml's own default (100) already stops a "billion laughs"
 * document; the limit is named here because the loader reports it as a config problem.
 */
export const MAX_ALIAS_COUNT = 100;
/** Shortest `${env:}` value redacted from output (a secret from the vault is redacted whatever its length). */
export const MIN_REDACTED_LENGTH = 4;
/** Problems listed at most; the rest are counted in one closing line so output stays bounded. */
export const MAX_LISTED_ISSUES = 50;

export interface LoadOptions {
  /**
   * Leave a reference to an unset variable as written instead of failing: a dry
   * run (replay) needs no credentials.
   */
  lenientReferences?: boolean;
}

/**
 * Reads a YAML config, resolves `${env:NAME}` references, validates it, and
 * reports every problem with file:line:col and the field path.
 */
export function loadConfig(
  file: string,
  resolver: ReferenceResolver = { env: process.env },
  options: LoadOptions = {},
): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `file not found: ${file}` : `cannot read config ${file}: ${code ?? String(error)}`,
    );
  }
  return parseConfigText(text, file, resolver, options);
}

/** Same as `loadConfig`, from text. */
export function parseConfigText(
  text: string,
  file: string,
  resolver: ReferenceResolver = { env: process.env },
  options: LoadOptions = {},
): LoadedConfig {
  const lineCounter = new LineCounter();
  // yaml's own unique-key check compares every pair of keys (20,000 keys took 9 s): keys are checked below in one pass.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const issues: ConfigIssue[] = [];
  duplicateKeys(doc, (offset, key) => {
    const pos = lineCounter.linePos(offset);
    issues.push({
      path: '',
      message: `YAML: duplicate key ${JSON.stringify(key)}`,
      file,
      line: pos.line,
      column: pos.col,
    });
  });
  for (const err of doc.errors) {
    const pos = lineCounter.linePos(err.pos[0]);
    issues.push({
      path: '',
      message: `YAML: ${err.message.split('\n')[0]}`,
      file,
      line: pos.line,
      column: pos.col,
    });
  }
  if (issues.length > 0) throw new ConfigError(capped(issues, file));

  const secrets: string[] = [];
  const unresolved: string[] = [];
  const lookup: SecretLookup =
    typeof resolver.secret === 'function'
      ? { secret: resolver.secret, source: 'the vault', missingHint: () => '' }
      : (resolver.secret ?? vaultSecrets(resolver.env));
  visit(doc, {
    Scalar(_key, node, path) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      node.value = node.value.replace(REFERENCE, (whole, kind: string, name: string) => {
        let value: string | undefined;
        let vaultProblem: string | undefined;
        try {
          value = kind === 'env' ? resolver.env[name] : lookup.secret(name);
        } catch (error) {
          // A locked or damaged vault is reported at the reference that needed it; its message never holds a value.
          if (!(error instanceof VaultError)) throw error;
          vaultProblem = `${error.code}: ${error.message}`;
        }
        if (value === undefined && options.lenientReferences) {
          unresolved.push(whole);
          return whole;
        }
        if (value === undefined) {
          const pos = lineCounter.linePos(node.range?.[0] ?? 0);
          const hint = kind === 'secret' && !vaultProblem ? lookup.missingHint(name) : '';
          issues.push({
            path: pathOf(path),
            message:
              kind === 'env'
                ? `environment variable ${name} is not set (referenced as ${whole})`
                : vaultProblem
                  ? `cannot read secret "${name}" (referenced as ${whole}): ${vaultProblem}`
                  : `secret "${name}" is not in the ${lookup.source} (referenced as ${whole})${hint ? `; ${hint}` : ''}`,
            file,
            line: pos.line,
            column: pos.col,
          });
          return whole;
        }
        // Every referenced value is kept out of output: a credential, or an account id kept out of the file.
        // An environment value shorter than MIN_REDACTED_LENGTH is not (redacting "1" would garble every number).
        if (kind === 'secret' || value.length >= MIN_REDACTED_LENGTH) secrets.push(value);
        return value;
      });
    },
  });
  if (issues.length > 0) throw new ConfigError(capped(issues, file));

  let input: unknown;
  try {
    input = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    // yaml throws a ReferenceError for an alias bomb (or an alias to an anchor defined later).
    if (!(error instanceof ReferenceError)) throw error;
    const at = lineCounter.linePos(firstAliasOffset(doc));
    throw new ConfigError([
      {
        path: '',
        message: `YAML: aliases expand too far (more than ${MAX_ALIAS_COUNT} alias expansions): ${error.message}`,
        file,
        line: at.line,
        column: at.col,
      },
    ]);
  }
  const result = engineConfigSchema.safeParse(input);
  const where = (path: readonly PropertyKey[], atKey = false) => locate(doc, lineCounter, path, { atKey });
  if (!result.success) {
    const found: ConfigIssue[] = [];
    let more = 0;
    for (const issue of result.error.issues) {
      // An unknown key is reported at the key itself, one issue per key, each named once.
      const paths =
        issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const path of paths) {
        // Locating is linear in the map's size: only the listed problems are located.
        if (found.length >= MAX_LISTED_ISSUES) {
          more++;
          continue;
        }
        found.push({
          path: formatPath(path),
          message: issue.code === 'unrecognized_keys' ? unknownKey(issue.path, path.at(-1)) : issue.message,
          file,
          ...where(path, issue.code === 'unrecognized_keys'),
        });
      }
    }
    throw new ConfigError(withOverflow(found, more, file));
  }
  const crossIssues = crossCheck(result.data, input);
  if (crossIssues.length > 0) {
    throw new ConfigError(
      crossIssues.map((i) => ({ path: formatPath(i.path), message: i.message, file, ...where(i.path) })),
    );
  }
  // A webhook token written in clear in the file is as secret as one from the vault.
  for (const source of result.data.sources ?? []) {
    if (source.kind === 'webhook') secrets.push(source.token);
  }
  return { config: result.data, file, secrets, unresolved, locate: (path) => where(path) };
}

/** At most `MAX_LISTED_ISSUES` problems, then one line counting the rest. */
function capped(issues: ConfigIssue[], file: string): ConfigIssue[] {
  return withOverflow(
    issues.slice(0, MAX_LISTED_ISSUES),
    Math.max(0, issues.length - MAX_LISTED_ISSUES),
    file,
  );
}

const overflowCounts = new WeakMap<ConfigIssue, number>();

/** The listed problems plus one line counting those left out. */
export function withOverflow(issues: ConfigIssue[], more: number, file: string): ConfigIssue[] {
  if (more === 0) return issues;
  const last: ConfigIssue = {
    path: '',
    message: `... and ${more} more problem(s) not listed`,
    file,
    line: 1,
    column: 1,
  };
  overflowCounts.set(last, more);
  return [...issues, last];
}

/** How many problems a list stands for, counting those an overflow line left out. */
export function problemCount(issues: readonly ConfigIssue[]): number {
  let n = 0;
  for (const issue of issues) n += overflowCounts.get(issue) ?? 1;
  return n;
}

/** Calls `found` for each repeated scalar key of a map (each map's keys in one pass). */
function duplicateKeys(doc: Document, found: (offset: number, key: string) => void): void {
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (seen.has(key)) found(pair.key.range?.[0] ?? 0, key);
        seen.add(key);
      }
    },
  });
}

/** Offset of the first alias whose anchor itself holds aliases (the nesting that multiplies), else the first alias. */
function firstAliasOffset(doc: Document): number {
  let first: number | undefined;
  let nested: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      const offset = node.range?.[0] ?? 0;
      first ??= offset;
      const target = node.resolve(doc);
      let holdsAlias = false;
      if (target)
        visit(target, {
          Alias() {
            holdsAlias = true;
            return visit.BREAK;
          },
        });
      if (holdsAlias) {
        nested = offset;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return nested ?? first ?? 0;
}

/** The message for an unknown key, with the nearest allowed key when one is close. */
function unknownKey(parent: readonly PropertyKey[], key: PropertyKey | undefined): string {
  const guess = typeof key === 'string' ? suggestKey(parent, key) : undefined;
  const name = JSON.stringify(String(key));
  return guess ? `unknown key ${name} (did you mean ${guess}?)` : `unknown key ${name}`;
}

/** The dotted path of a node from yaml's visitor ancestry. */
function pathOf(ancestry: readonly unknown[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ancestry.length; i++) {
    const item = ancestry[i] as { key?: unknown; items?: unknown[] };
    if (item && typeof item === 'object' && 'key' in item && isScalar(item.key)) {
      parts.push(String(item.key.value));
    } else if (item && typeof item === 'object' && Array.isArray(item.items)) {
      const next = ancestry[i + 1];
      const idx = next === undefined ? -1 : item.items.indexOf(next);
      if (idx >= 0 && !('key' in (next as object))) parts.push(`[${idx}]`);
    }
  }
  return parts.join('.').replace(/\.\[/g, '[');
}
