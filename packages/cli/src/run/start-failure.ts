import { type ConnectionPlan, type EngineConfig, ErrorCode, TradeNovaError } from '@tradenova/core';
import { CliError, ExitCode } from '../errors.js';

/** What is known when a run's start failed. */
export interface StartFailureContext {
  config: EngineConfig;
  /** The connections the run needs. */
  plans: readonly ConnectionPlan[];
  /** The connections the engine holds open (or still opening) when the start failed. */
  open: readonly string[];
  /** How long the start had been trying, ms. */
  triedMs: number;
  /** Takes every secret (each value that came from a reference) out of a text. */
  redact: (text: string) => string;
}

/**
 * A start that failed because a broker connection could not be opened (not reachable for a
 * minute, a login refused) becomes one message that says which connection, at which broker,
 * whom it serves, how long it was tried and what to do: the broker's own error alone names
 * none of that. Any other failure is returned as it is.
 */
export function explainStartFailure(error: unknown, at: StartFailureContext): unknown {
  if (!(error instanceof TradeNovaError) || error.code === ErrorCode.EngineStopped) return error;
  const open = new Set(at.open);
  const closed = at.plans.filter((p) => !open.has(p.key));
  if (closed.length === 0) return error;
  const leaderKey = at.config.leader.connection ?? at.config.leader.broker;
  const tried = at.triedMs >= 1000 ? ` (tried for ${Math.round(at.triedMs / 1000)} s)` : '';
  const lines = closed.map((plan) => {
    const followers = at.config.followers
      .filter((f) => (f.connection ?? f.broker) === plan.key && f.enabled)
      .map((f) => f.name);
    const serves = [
      ...(plan.key === leaderKey ? ['the leader'] : []),
      ...(followers.length > 0
        ? [`${followers.length === 1 ? 'follower' : 'followers'} ${followers.join(', ')}`]
        : []),
    ];
    return `  connection ${plan.key} (${plan.broker})${serves.length > 0 ? `, for ${serves.join(' and ')}` : ''}`;
  });
  const names = closed.map((p) => p.key).join(', ');
  // The whole message goes through the redactor, not only the broker's text: no value that
  // came from a reference may print, whichever part of the message carries it. (A follower
  // named by a reference is already labelled by its place, `followers[0]`, when loaded.)
  return new CliError(
    at.redact(
      [
        `could not open ${closed.length === 1 ? 'a broker connection' : 'broker connections'}${tried}: ${error.code}: ${error.message}`,
        ...lines,
        `Nothing was copied. Check connections.${closed.length === 1 ? names : `{${names}}`} (where the broker listens, the login), ` +
          'or set `enabled: false` on the followers it serves to run without them.',
      ].join('\n'),
    ),
    ExitCode.BadInput,
  );
}
