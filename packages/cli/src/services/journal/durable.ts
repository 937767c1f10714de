import type { Journal } from './journal.js';

/**
 * Waits until everything appended to the journal so far is committed, for at most
 * `maxMs`. Returns whether it is. A consumer commits its offset after this: with the
 * database up that is after the record is durable; while it is away the copy path goes
 * on after `maxMs` (an outage must not stop orders), the records stay queued and are
 * written, or spilled at shutdown, later. While the journal is known to be away
 * (`degraded`), it does not wait at all: each signal or batch would otherwise pay
 * `maxMs` for as long as the outage lasts.
 */
export async function journaled(journal: Journal | undefined, maxMs: number): Promise<boolean> {
  if (!journal) return true;
  if (journal.degraded) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      journal.whenDurable(journal.lastSeq).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), maxMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
