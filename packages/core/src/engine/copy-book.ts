/** What the book needs of a copy (`OrderCopy` in follower.ts; named here so the two files do not import each other). */
export interface BookedCopy {
  /** The leader contract key the copy follows. */
  source: string;
  /** Its leader order rests (limit, stop): leader fills re-plan it. */
  resting: boolean;
}

/**
 * A follower's copies by leader order id, with an index of the copies of resting leader
 * orders per leader contract: every leader fill re-plans those (`CopyDesk.replanWorking`),
 * and walking every copy a follower holds for it cost O(copies) per follower per fill
 * (30 % of the time with 1,000 followers). The index keeps the main map's order within a
 * contract, so re-plans are queued in the same order as a walk of the whole map would.
 */
export class CopyBook<OrderCopy extends BookedCopy = BookedCopy> extends Map<string, OrderCopy> {
  /** source → leaderOrderId → copy, for copies with `resting` set. */
  readonly #resting = new Map<string, Map<string, OrderCopy>>();

  override set(leaderOrderId: string, copy: OrderCopy): this {
    const old = super.get(leaderOrderId);
    super.set(leaderOrderId, copy);
    if (old && old.source !== copy.source) {
      this.#unindex(leaderOrderId, old.source);
      // The key keeps its place in the main map: rebuild the index of its new contract in that order.
      if (copy.resting) this.#rebuild(copy.source);
      return this;
    }
    if (copy.resting) this.#index(copy.source).set(leaderOrderId, copy);
    else if (old) this.#unindex(leaderOrderId, old.source);
    return this;
  }

  override delete(leaderOrderId: string): boolean {
    const old = super.get(leaderOrderId);
    if (old === undefined) return false;
    this.#unindex(leaderOrderId, old.source);
    return super.delete(leaderOrderId);
  }

  override clear(): void {
    this.#resting.clear();
    super.clear();
  }

  /** Copies of resting leader orders in one leader contract, in the order they were made. */
  resting(source: string): Iterable<OrderCopy> {
    return this.#resting.get(source)?.values() ?? [];
  }

  #index(source: string): Map<string, OrderCopy> {
    let bySource = this.#resting.get(source);
    if (!bySource) {
      bySource = new Map();
      this.#resting.set(source, bySource);
    }
    return bySource;
  }

  #unindex(leaderOrderId: string, source: string): void {
    const bySource = this.#resting.get(source);
    if (!bySource) return;
    bySource.delete(leaderOrderId);
    if (bySource.size === 0) this.#resting.delete(source);
  }

  #rebuild(source: string): void {
    const bySource = new Map<string, OrderCopy>();
    for (const [id, copy] of this) if (copy.source === source && copy.resting) bySource.set(id, copy);
    if (bySource.size > 0) this.#resting.set(source, bySource);
    else this.#resting.delete(source);
  }
}
