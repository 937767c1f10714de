import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { type EngineConfig, engineConfigSchema } from './schema.js';

/** Formats a zod issue path as `followers[3].scaling.factor`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Turns zod issues into config issues with dotted paths (positions are added by the loader). */
export function zodIssues(error: z.ZodError): (ConfigIssue & { pathParts: PropertyKey[] })[] {
  return error.issues.map((issue) => ({
    path: formatPath(issue.path),
    pathParts: [...issue.path],
    message: issue.message,
  }));
}

/** Validates a config object and fills in defaults; throws `ConfigError` listing every problem. */
export function parseEngineConfig(input: unknown): EngineConfig {
  const result = engineConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(zodIssues(result.error));
  return result.data;
}
