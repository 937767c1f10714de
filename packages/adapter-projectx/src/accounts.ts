import { type AdapterContext, defaultInstruments, silentLogger, systemClock } from '@tradenova/core';
import { type ProjectXConfigInput, projectxConfigSchema } from './config.js';
import { type ProjectXAccountInfo, ProjectXConnection } from './connection.js';

/**
 * The accounts a ProjectX login can trade, over REST only (no hub): what
 * `tradenova accounts` shows so a user picks followers by name. Logs in with
 * `Auth/loginKey` and calls `Account/search { onlyActiveAccounts: true }`.
 */
export async function listProjectXAccounts(
  config: ProjectXConfigInput,
  context: Partial<AdapterContext> = {},
): Promise<ProjectXAccountInfo[]> {
  const parsed = projectxConfigSchema.parse(config);
  const connection = new ProjectXConnection(parsed, {
    clock: context.clock ?? systemClock,
    logger: context.logger ?? silentLogger,
    instruments: context.instruments ?? defaultInstruments,
  });
  try {
    return await connection.listAccountDetails();
  } finally {
    connection.rest.close();
    connection.limiter.close();
  }
}
