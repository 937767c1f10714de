import type { EngineConfig, EngineEvent, Logger } from '@tradenova/core';
import { WebhookSource } from './webhook/server.js';

export { alertToSignal } from './webhook/alert.js';
export { WebhookSource, type WebhookSourceOptions } from './webhook/server.js';

/** What the config's `sources:` need from the session. */
export interface SourcesContext {
  /** Puts an event on the engine's bus (sinks, dashboard, JSON lines see it). */
  record: (event: EngineEvent) => void;
  logger?: Logger;
}

/** The signal sources a config's `sources:` list asks for, not started (the engine starts them). */
export function createSources(config: EngineConfig, context: SourcesContext): WebhookSource[] {
  return (config.sources ?? []).map(
    (source) =>
      new WebhookSource(source, {
        leaderAccount: config.leader.account,
        record: context.record,
        ...(context.logger ? { logger: context.logger } : {}),
      }),
  );
}
