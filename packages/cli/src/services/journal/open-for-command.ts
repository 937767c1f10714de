import { resolve } from 'node:path';
import { loadConfig } from '../../config/load-config.js';
import { CliError } from '../../errors.js';
import { redactUrl } from '../errors.js';
import { lockJournalDir } from './lock.js';
import { type JournalDb, openJournalDb, parseJournalLocation } from './open-database.js';

/** An open journal database for a one-shot command (`migrate`, `report`). */
export interface CommandJournal extends JournalDb {
  /** Where it is, without a password, for messages. */
  where: string;
  schema?: string;
  close(): Promise<void>;
}

/**
 * Opens the journal a command names: `--journal`, else the config's
 * `services.journal`, else the embedded default. The embedded database is locked
 * like a run's, so a command never opens it under a running process.
 */
export async function openCommandJournal(options: {
  config?: string;
  journal?: string;
}): Promise<CommandJournal> {
  let url = options.journal;
  let schema: string | undefined;
  if (url === undefined && options.config) {
    const { config } = loadConfig(options.config, { env: process.env }, { lenientReferences: true });
    url = config.services.journal.url;
    schema = config.services.journal.schema;
    if (url.includes('${')) {
      throw new CliError(
        `services.journal.url in ${options.config} refers to a variable that is not set: ${redactUrl(url)}`,
      );
    }
  }
  const location = parseJournalLocation(url);
  const release = 'dir' in location ? lockJournalDir(resolve(location.dir)) : () => {};
  try {
    const opened = await openJournalDb(
      'url' in location ? { url: location.url, ...(schema ? { schema } : {}) } : location,
    );
    return {
      ...opened,
      where: 'url' in location ? redactUrl(location.url) : resolve(location.dir),
      ...(schema ? { schema } : {}),
      async close() {
        try {
          await opened.db.destroy();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
