/**
 * Runs tasks one after another, in the order they were added: one account's
 * orders must reach its broker strictly in order. A failing task does not stop
 * the ones behind it.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #depth = 0;

  /** Tasks waiting or running. */
  get depth(): number {
    return this.#depth;
  }

  push<T>(task: () => Promise<T>): Promise<T> {
    this.#depth++;
    const run = this.#tail.then(task, task);
    this.#tail = run.then(
      () => {
        this.#depth--;
      },
      () => {
        this.#depth--;
      },
    );
    return run;
  }

  /** Resolves when everything queued so far has finished. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}
