/** What pacing needs of a journal: how much is queued, and a wait for what is queued. */
export interface PacedJournal {
  readonly pending: number;
  readonly lastSeq: number;
  readonly degraded: boolean;
  whenDurable(seq: number): Promise<void>;
}

/** Events a replay may have queued for its journal before reading on waits (about 20 MB of events). */
export const MAX_JOURNAL_PENDING = 20_000;

/**
 * The records of a streamed session, read no faster than the journal writes what they
 * produce: a replay makes events far faster than a database commits them, and without a
 * brake `replay --journal` of a big session held every event not yet written (the whole
 * session's, for a fast enough engine). Once more than `maxPending` are queued, the next
 * record waits until the queue is down to half. While the journal is away (`degraded`)
 * it does not wait: the replay goes on and the queue holds what it must, as a live run's does.
 */
export async function* pacedByJournal<T>(
  records: AsyncIterable<T>,
  journal: PacedJournal,
  maxPending = MAX_JOURNAL_PENDING,
): AsyncGenerator<T> {
  for await (const record of records) {
    if (journal.pending > maxPending && !journal.degraded) {
      await journal.whenDurable(journal.lastSeq - Math.floor(maxPending / 2));
    }
    yield record;
  }
}
