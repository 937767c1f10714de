import { ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { migrateToLatest } from '../services/journal/migrations.js';
import { openCommandJournal } from '../services/journal/open-for-command.js';
import { journalRefusal } from '../services/journal/refusal.js';

/**
 * `tradenova migrate`: runs the journal's pending migrations. A PostgreSQL journal is
 * migrated only by this command (a run refuses a schema that is behind); the embedded
 * one is migrated whenever it is opened, so this is only needed there to check.
 */
export async function migrateCommand(
  options: { config?: string; journal?: string },
  io: CommandIo,
): Promise<number> {
  const journal = await openCommandJournal(options);
  try {
    const applied = await migrateToLatest(journal.db, journal.schema).catch((error: unknown) => {
      throw (
        (journal.driver === 'pg'
          ? journalRefusal(error, journal.where, {
              step: 'migrate',
              ...(journal.schema ? { schema: journal.schema } : {}),
            })
          : undefined) ?? error
      );
    });
    io.stdout.write(
      applied.length === 0
        ? `journal at ${journal.where} (${journal.driver}) is up to date\n`
        : `journal at ${journal.where} (${journal.driver}): applied ${applied.join(', ')}\n`,
    );
    return ExitCode.Ok;
  } finally {
    await journal.close();
  }
}
