/** Remembers recent signal ids so a redelivered signal is not copied twice. */

/** Default number of signal ids remembered. */
export const DEFAULT_SIGNAL_MEMORY = 100_000;

/** A bounded set of the last N signal ids: O(1) per call, the oldest id forgotten first. */
export class DuplicateSignalGuard {
  readonly #ids = new Set<string>();
  readonly #ring: (string | undefined)[];
  #next = 0;

  /** Remembers at most `capacity` ids (default 100,000). */
  constructor(readonly capacity = DEFAULT_SIGNAL_MEMORY) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer: ${capacity}`);
    this.#ring = new Array<string | undefined>(capacity);
  }

  /** True when `signalId` was seen before (among the last `capacity` ids); otherwise records it and returns false. */
  seen(signalId: string): boolean {
    if (this.#ids.has(signalId)) return true;
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#ids.delete(evicted);
    this.#ring[this.#next] = signalId;
    this.#next = (this.#next + 1) % this.capacity;
    this.#ids.add(signalId);
    return false;
  }

  /** How many ids are remembered now. */
  get size(): number {
    return this.#ids.size;
  }
}
