import { readFileSync } from 'node:fs';
import {
  ConfigError,
  type ConfigIssue,
  type EngineConfig,
  engineConfigSchema,
  formatPath,
} from '@tradenova/core';
import { isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { CliError } from '../errors.js';
import { type SecretLookup, vaultSecrets } from '../secrets/resolver.js';
import { VaultError } from '../secrets/vault.js';
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
}

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
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const issues: ConfigIssue[] = [];
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
  if (issues.length > 0) throw new ConfigError(issues);

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
        if (kind === 'secret' || /pass|secret|token|key/i.test(name)) secrets.push(value);
        return value;
      });
    },
  });
  if (issues.length > 0) throw new ConfigError(issues);

  const result = engineConfigSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.flatMap((issue) => {
        // An unknown key is reported at the key itself, one issue per key.
        const paths =
          issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
        return paths.map((path) => ({
          path: formatPath(path),
          message: issue.code === 'unrecognized_keys' ? unknownKey(issue.path, path.at(-1)) : issue.message,
          file,
          ...locate(doc, lineCounter, path, { atKey: issue.code === 'unrecognized_keys' }),
        }));
      }),
    );
  }
  // A webhook token written in clear in the file is as secret as one from the vault.
  for (const source of result.data.sources ?? []) {
    if (source.kind === 'webhook') secrets.push(source.token);
  }
  return { config: result.data, file, secrets, unresolved };
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
