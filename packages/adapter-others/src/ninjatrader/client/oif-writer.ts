import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes command files into NinjaTrader's `incoming` folder so it never sees a half-written
 * one: the text goes to a temp name that does not match `oif*.txt`, in the same folder (so
 * the rename stays on one volume and is atomic, on a share too), and is then renamed into
 * place. Names never repeat, because with *Ignore duplicate OIF files* a repeated name is
 * ignored for the rest of the session.
 */
export class OifWriter {
  readonly #dir: string;
  /** A per-process tag, so two adapter processes writing into one folder never pick the same name. */
  readonly #tag = randomBytes(3).toString('hex');
  #seq = 0;
  /** Writes are chained so that NinjaTrader sees the files in the order the commands were given. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(incomingDir: string) {
    this.#dir = incomingDir;
  }

  /** Writes one file holding these lines (stacked commands run in order); resolves with its final name. */
  write(lines: readonly string[]): Promise<string> {
    const run = this.#queue.then(() => this.#writeNow(lines));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #writeNow(lines: readonly string[]): Promise<string> {
    // Time first, so names also sort in command order across restarts of this process.
    const stem = `${Date.now().toString().padStart(15, '0')}-${this.#tag}-${(++this.#seq).toString().padStart(6, '0')}`;
    const temp = join(this.#dir, `.tn-${stem}.tmp`);
    const name = `oif${stem}.txt`;
    try {
      await writeFile(temp, `${lines.join('\r\n')}\r\n`, { encoding: 'ascii' });
      await rename(temp, join(this.#dir, name));
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
    return name;
  }
}
