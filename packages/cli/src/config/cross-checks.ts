import { type EngineConfig, TradeNovaError } from '@tradenova/core';
import { compileRiskRules } from '@tradenova/core/risk';

/** A problem with its path as parts, for the loader to locate in the file. */
export interface PathIssue {
  path: PropertyKey[];
  message: string;
}

/**
 * Checks across sections that the schema alone cannot make, on the parsed config and the
 * raw input (to tell a `broker:` written by the user from the schema's default):
 * - a `connection` must name an own entry of `connections` (not `__proto__` or `toString`);
 * - an account's `broker`, when written, must be its connection's broker;
 * - a follower's risk rules must compile as the engine compiles them at start (a time zone
 *   that does not exist, a loss limit of 0 or less).
 */
export function crossCheck(config: EngineConfig, raw: unknown): PathIssue[] {
  const issues: PathIssue[] = [];
  const rawRoot = asRecord(raw);
  const rawFollowers = Array.isArray(rawRoot?.followers) ? (rawRoot.followers as unknown[]) : [];
  const accounts: {
    path: PropertyKey[];
    acct: EngineConfig['leader'];
    raw: Record<string, unknown> | undefined;
  }[] = [
    { path: ['leader'], acct: config.leader, raw: asRecord(rawRoot?.leader) },
    ...config.followers.map((f, i) => ({ path: ['followers', i], acct: f, raw: asRecord(rawFollowers[i]) })),
  ];
  for (const { path, acct, raw: rawAcct } of accounts) {
    if (acct.connection === undefined) continue;
    if (!Object.hasOwn(config.connections, acct.connection)) {
      // The schema checks followers with `in`, which an inherited name passes; say it once either way.
      issues.push({
        path: [...path, 'connection'],
        message: `no connection named "${acct.connection}" in connections`,
      });
      continue;
    }
    const connectionBroker = config.connections[acct.connection]!.broker;
    const written = rawAcct !== undefined && Object.hasOwn(rawAcct, 'broker');
    if (written && acct.broker !== connectionBroker) {
      issues.push({
        path: [...path, 'broker'],
        message: `broker "${acct.broker}" contradicts connection "${acct.connection}", which is on "${connectionBroker}" (leave broker out or make them agree)`,
      });
    }
  }
  config.followers.forEach((f, i) => {
    try {
      compileRiskRules(f.risk);
    } catch (error) {
      if (!(error instanceof TradeNovaError)) throw error;
      // Messages read `risk.dailyLossLimit: must be more than 0, got -5`: the prefix is the field.
      const m = /^(risk(?:\.[A-Za-z]+)*): (.*)$/s.exec(error.message);
      const field = m ? m[1]!.split('.') : ['risk'];
      issues.push({ path: ['followers', i, ...field], message: m ? m[2]! : error.message });
    }
  });
  return issues;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
