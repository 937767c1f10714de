import { type EngineEvent, type Logger, silentLogger } from '@tradenova/core';
import type { Kysely, Transaction } from 'kysely';
import { CliError } from '../../errors.js';
import { errorMessage } from '../errors.js';
import { migrateToLatest, pendingMigrations } from './migrations.js';
import { type JournalLocation, openJournalDb } from './open-database.js';
import { journalRefusal } from './refusal.js';
import { addEventRows, emptyRows, type JournalRows } from './rows.js';
import type { JournalDatabase } from './schema.js';

/** The journal's health, reported on every change. */
export type JournalStatus =
  | { state: 'ok' }
  /** A batch could not be written; it is kept and retried with backoff. Orders go on. */
  | { state: 'degraded'; error: string; pending: number; retryInMs: number };

/** Tuning and hooks of a journal. */
export interface JournalOptions {
  /** Most events per transaction (default 2000). */
  maxBatch?: number;
  /** How long an appended event may wait for company before its batch is written (default 20 ms). */
  lingerMs?: number;
  /** First wait after a failed write, doubled up to `maxRetryMs` (default 100 ms). */
  minRetryMs?: number;
  /** Longest wait between retries while the database is away (default 5 s). */
  maxRetryMs?: number;
  onStatus?(status: JournalStatus): void;
  logger?: Logger;
  /**
   * Takes every value that came from a secret or environment reference out of the rows (an
   * account id written as `${env:…}`), applied by the writer, off the copy path.
   */
  redact?: (text: string) => string;
}

/** How to open a journal. */
export type OpenJournalOptions = JournalOptions &
  JournalLocation & {
    /** Run pending migrations (default: yes for PGlite; for a server, `tradenova migrate` does it). */
    migrate?: boolean;
  };

// Postgres allows 65535 bind parameters per statement; the widest table has 13 columns.
const ROWS_PER_INSERT = 1000;

/**
 * The journal of record. `append` is synchronous and only queues the event, so
 * journaling adds nothing to copy latency; a flusher writes queued events in batches,
 * one transaction per batch. A failed batch is kept, reported as `degraded`, and retried
 * until the database is back: an outage never stops orders and never loses what was
 * appended while the process lives. An event is durable once `whenDurable(seq)` (or a
 * later `flush()`) resolved; docs/operations.md says exactly what survives what.
 * Fits core's `Sink` (`write` = `append`).
 */
export class Journal {
  /** Sink name, for logs and the engine's sink list. */
  readonly name = 'journal';
  readonly driver: 'pg' | 'pglite';
  readonly #db: Kysely<JournalDatabase>;
  readonly #maxBatch: number;
  readonly #lingerMs: number;
  readonly #minRetryMs: number;
  readonly #maxRetryMs: number;
  readonly #onStatus: ((status: JournalStatus) => void) | undefined;
  readonly #logger: Logger;
  readonly #redact: ((text: string) => string) | undefined;
  #queue: EngineEvent[] = [];
  /** Sequence number of the first event in `#queue`; events before it are committed. */
  #queueStart = 1;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #retryMs = 0;
  #degraded = false;
  #closed = false;
  #lastError: unknown;
  readonly #waiters: { seq: number; resolve: () => void }[] = [];
  #batches = 0;

  constructor(db: Kysely<JournalDatabase>, driver: 'pg' | 'pglite', options: JournalOptions = {}) {
    this.#db = db;
    this.driver = driver;
    this.#maxBatch = options.maxBatch ?? 2000;
    this.#lingerMs = options.lingerMs ?? 20;
    this.#minRetryMs = options.minRetryMs ?? 100;
    this.#maxRetryMs = options.maxRetryMs ?? 5000;
    this.#onStatus = options.onStatus;
    this.#logger = options.logger ?? silentLogger;
    this.#redact = options.redact;
  }

  /**
   * Opens the journal at a location, migrating the embedded database automatically.
   * A server whose schema is behind fails with the command that fixes it.
   */
  static async open(options: OpenJournalOptions): Promise<Journal> {
    const { db, driver } = await openJournalDb(options);
    const schema = 'url' in options ? options.schema : undefined;
    try {
      if (options.migrate ?? driver === 'pglite') {
        await migrateToLatest(db, schema);
      } else {
        const pending = await pendingMigrations(db, schema);
        if (pending.length > 0) {
          // Bad setup, not a bug: exit 2 with the command that fixes it.
          throw new CliError(
            `journal database needs migrations (${pending.join(', ')}); run: tradenova migrate -c <config>`,
          );
        }
      }
    } catch (error) {
      await db.destroy();
      throw (
        ('url' in options
          ? journalRefusal(error, options.url, { step: 'migrate', ...(schema ? { schema } : {}) })
          : undefined) ?? error
      );
    }
    return new Journal(db, driver, options);
  }

  /** The kysely instance, for reports and tests. */
  get db(): Kysely<JournalDatabase> {
    return this.#db;
  }

  /** Queues one event; returns its sequence number for `whenDurable`. Never touches the database. */
  append(event: EngineEvent): number {
    if (this.#closed) throw new Error('journal: append after close');
    this.#queue.push(event);
    const seq = this.#queueStart + this.#queue.length - 1;
    this.#schedule(this.#queue.length >= this.#maxBatch ? 0 : this.#lingerMs);
    return seq;
  }

  /** `append`, under the name core's `Sink` uses. */
  write(event: EngineEvent): void {
    this.append(event);
  }

  /** Resolves once the event with sequence number `seq` is committed; waits through outages. */
  whenDurable(seq: number): Promise<void> {
    if (seq < this.#queueStart) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ seq, resolve }));
  }

  /**
   * Writes everything appended so far now. Resolves when it is committed; rejects with
   * the database error when a write fails (the events stay queued and are retried).
   */
  async flush(): Promise<void> {
    const target = this.#queueStart + this.#queue.length - 1;
    while (this.#queueStart <= target) {
      if (this.#writing) {
        await this.#writing;
        continue;
      }
      clearTimeout(this.#timer);
      this.#timer = undefined;
      const failedBefore = this.#lastError;
      await this.#write();
      if (this.#lastError !== failedBefore && this.#lastError !== undefined) throw this.#lastError;
    }
  }

  /** Sequence number of the last event appended (0 before the first): `whenDurable(lastSeq)` covers everything so far. */
  get lastSeq(): number {
    return this.#queueStart + this.#queue.length - 1;
  }

  /** Whether the last write failed and the journal is retrying (the database is away). */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** Events appended and not yet committed. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Transactions written so far (batching shows as far fewer than events). */
  get batches(): number {
    return this.#batches;
  }

  /** Flushes and closes the database. Rejects, leaving it open, when the flush fails. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#db.destroy();
  }

  /**
   * Closes within about `timeoutMs` even when the database is away: writes what it can
   * and hands back, in order, the events it could not commit, so the caller can keep
   * them (a spill file) instead of losing them. Returns `[]` when everything was written.
   */
  async closeWithin(timeoutMs: number): Promise<EngineEvent[]> {
    if (this.#closed) return [];
    let timer: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([
      this.flush().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // A write in flight either commits (its events leave the queue) or fails (they stay).
    while (this.#writing) await this.#writing;
    const left = flushed ? [] : this.#queue.splice(0);
    await this.#db.destroy().catch(() => {});
    return left;
  }

  #schedule(delayMs: number): void {
    if (this.#closed || this.#writing || this.#queue.length === 0) return;
    if (this.#timer && delayMs > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#write();
    }, delayMs);
    // The timer must not keep a finished process alive; shutdown calls flush()/close().
    this.#timer.unref();
  }

  #write(): Promise<void> {
    this.#writing = this.#writeBatch().finally(() => {
      this.#writing = undefined;
      if (this.#queue.length > 0 && !this.#closed)
        this.#schedule(this.#degraded ? this.#retryMs : this.#lingerMs);
    });
    return this.#writing;
  }

  async #writeBatch(): Promise<void> {
    const batch = this.#queue.slice(0, this.#maxBatch);
    if (batch.length === 0) return;
    const rows = emptyRows();
    const redact = this.#redact;
    for (const event of batch) {
      addEventRows(rows, redact ? (JSON.parse(redact(JSON.stringify(event))) as EngineEvent) : event);
    }
    try {
      await this.#db.transaction().execute((tx) => insertRows(tx, rows));
    } catch (error) {
      this.#lastError = error;
      this.#retryMs = Math.min(this.#maxRetryMs, Math.max(this.#minRetryMs, this.#retryMs * 2));
      this.#degraded = true;
      this.#logger.warn({ err: error, pending: this.#queue.length }, 'journal: write failed; will retry');
      this.#report({
        state: 'degraded',
        error: errorMessage(error),
        pending: this.#queue.length,
        retryInMs: this.#retryMs,
      });
      return;
    }
    this.#batches++;
    this.#queue.splice(0, batch.length);
    this.#queueStart += batch.length;
    this.#lastError = undefined;
    this.#retryMs = 0;
    if (this.#degraded) {
      this.#degraded = false;
      this.#report({ state: 'ok' });
    }
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (waiter.seq < this.#queueStart) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  #report(status: JournalStatus): void {
    try {
      this.#onStatus?.(status);
    } catch (error) {
      this.#logger.error({ err: error }, 'journal: onStatus threw');
    }
  }
}

async function insertRows(tx: Transaction<JournalDatabase>, rows: JournalRows): Promise<void> {
  for (const chunk of chunks(lastBy(rows.signalsReceived, (r) => r.signal_id, 'first'))) {
    await tx
      .insertInto('signals')
      .values(chunk)
      .onConflict((oc) =>
        oc.column('signal_id').doUpdateSet((eb) => ({
          leader_account: eb.ref('excluded.leader_account'),
          action: eb.ref('excluded.action'),
          instrument: eb.ref('excluded.instrument'),
          detected_at: eb.ref('excluded.detected_at'),
          received_at: eb.ref('excluded.received_at'),
          payload: eb.ref('excluded.payload'),
        })),
      )
      .execute();
  }
  for (const chunk of chunks(lastBy(rows.signalsCompleted, (r) => r.signal_id, 'last'))) {
    await tx
      .insertInto('signals')
      .values(chunk)
      .onConflict((oc) =>
        oc.column('signal_id').doUpdateSet((eb) => ({
          completed_at: eb.ref('excluded.completed_at'),
          outcomes: eb.ref('excluded.outcomes'),
        })),
      )
      .execute();
  }
  // Replayed or retried events write the same ids again: the first record stands.
  for (const chunk of chunks(rows.intents)) {
    await tx
      .insertInto('intents')
      .values(chunk)
      .onConflict((oc) => oc.column('intent_id').doNothing())
      .execute();
  }
  for (const chunk of chunks(rows.executions)) {
    await tx
      .insertInto('executions')
      .values(chunk)
      .onConflict((oc) => oc.columns(['broker', 'execution_id']).doNothing())
      .execute();
  }
  for (const chunk of chunks(rows.orders)) await tx.insertInto('orders').values(chunk).execute();
  for (const chunk of chunks(rows.positions)) await tx.insertInto('positions').values(chunk).execute();
  for (const chunk of chunks(rows.accountStatus))
    await tx.insertInto('account_status').values(chunk).execute();
  for (const chunk of chunks(rows.errors)) await tx.insertInto('errors').values(chunk).execute();
}

function* chunks<T>(rows: readonly T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) yield rows.slice(i, i + ROWS_PER_INSERT);
}

/** One row per key (an upsert may not touch a row twice in one statement). */
function lastBy<T>(rows: readonly T[], key: (row: T) => string, keep: 'first' | 'last'): T[] {
  const byKey = new Map<string, T>();
  for (const row of rows) if (keep === 'last' || !byKey.has(key(row))) byKey.set(key(row), row);
  return [...byKey.values()];
}
