import type { EngineEvent } from '@tradenova/core';

/** One event with its sequence number, serialized once however many clients get it. */
export interface Sequenced {
  readonly seq: number;
  readonly event: EngineEvent;
  /** `{"seq":N,...event}`, made on first use. */
  text(): string;
}

/**
 * The stream's recent past: every event gets the next sequence number and stays in a
 * ring of `capacity` entries, so a client that reconnects can ask for what it missed.
 * `publish` is O(1) and never waits on a client: it is what the engine's listener calls;
 * listeners get new entries in batches on a later turn of the event loop, in order.
 */
export class EventRing {
  readonly #entries: (Sequenced | undefined)[];
  #next = 1;
  readonly #listeners = new Set<(batch: readonly Sequenced[]) => void>();
  #pending: Sequenced[] = [];
  #scheduled = false;

  constructor(readonly capacity = 10_000) {
    this.#entries = new Array(capacity);
  }

  /** The last sequence number given (0 before the first event). */
  get latest(): number {
    return this.#next - 1;
  }

  /** The oldest sequence number still held. */
  get oldest(): number {
    return Math.max(1, this.#next - this.capacity);
  }

  publish(event: EngineEvent): Sequenced {
    const seq = this.#next++;
    let text: string | undefined;
    const entry: Sequenced = {
      seq,
      event,
      text: () => {
        text ??= JSON.stringify({ seq, ...event });
        return text;
      },
    };
    this.#entries[seq % this.capacity] = entry;
    // Delivery to clients happens after the engine's synchronous work, in one batch per turn
    // of the event loop: a signal's whole fan-out is done before any frame is written.
    if (this.#listeners.size > 0) {
      this.#pending.push(entry);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    }
    return entry;
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    for (const listener of this.#listeners) {
      try {
        listener(batch);
      } catch {
        // One client's failure is that client's: the engine and the other clients go on.
      }
    }
  }

  /**
   * The entries after `seq`, oldest first, or `undefined` when some of them are gone
   * already (the client must resync).
   */
  since(seq: number): Sequenced[] | undefined {
    if (seq >= this.latest) return [];
    if (seq + 1 < this.oldest) return undefined;
    const out: Sequenced[] = [];
    for (let s = seq + 1; s <= this.latest; s++) out.push(this.#entries[s % this.capacity]!);
    return out;
  }

  /** Follows new entries, a batch at a time (from the next batch on), until the returned function is called. */
  listen(listener: (batch: readonly Sequenced[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
