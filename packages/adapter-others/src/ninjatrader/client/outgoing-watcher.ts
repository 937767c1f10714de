import { type FSWatcher, readFileSync, type Stats, statSync, watch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, Logger, Timer } from '@tradenova/core';

/** One file of the outgoing folder as last read. */
export interface OutgoingFile {
  name: string;
  text: string;
  mtimeMs: number;
}

/** Options of `OutgoingWatcher`. */
export interface OutgoingWatcherOptions {
  dir: string;
  clock: Clock;
  logger: Logger;
  /** How long to wait before reading again a file that was still being rewritten when read. */
  debounceMs: number;
  /** Full re-scan period, in case a notification was lost. */
  rescanMs: number;
  /** Called with every file whose content or modification time changed since it was last read. */
  onChange: (file: OutgoingFile) => void;
  /** Called with the name of a file that disappeared. */
  onRemove?: (name: string) => void;
}

/**
 * Watches NinjaTrader's `outgoing` folder. NinjaTrader rewrites each file in place on every
 * change, so a notification may arrive mid-write, and a cut `FILLED;1;21000.25` can still
 * parse, with the wrong price. A notified file is read at once and handed over only when the
 * file's size and time are the same before and after the read and the size is what was read
 * (a rewrite in progress changes them); otherwise it is read again after `debounceMs`. A reader that cannot parse what it
 * is handed waits for the next change or re-scan. `fs.watch`
 * gives low latency on a local disk; the periodic re-scan (stat only, reading just what
 * changed) covers network shares, where notifications are unreliable, without a tight loop.
 */
export class OutgoingWatcher {
  readonly #options: OutgoingWatcherOptions;
  readonly #known = new Map<string, { mtimeMs: number; size: number; text: string }>();
  readonly #pending = new Map<string, Timer>();
  #watcher: FSWatcher | undefined;
  #rescanTimer: Timer | undefined;
  #running = false;
  /** Reads are serialized so a slow read never overtakes a newer one of the same file. */
  #chain: Promise<void> = Promise.resolve();

  constructor(options: OutgoingWatcherOptions) {
    this.#options = options;
  }

  /** Starts watching; the returned scan has read every file present. Throws when the folder cannot be read. */
  async start(): Promise<void> {
    this.#running = true;
    await readdir(this.#options.dir);
    try {
      this.#watcher = watch(this.#options.dir, { persistent: false }, (_event, name) => {
        if (typeof name === 'string' && name !== '') this.#schedule(name);
        // Some platforms report no name: fall back to a scan.
        else void this.scan();
      });
      this.#watcher.on('error', (error) => {
        this.#options.logger.warn({ err: String(error) }, 'ninjatrader outgoing watch failed; re-scan only');
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (error) {
      // A folder that cannot be watched (some shares) is still served by the re-scan.
      this.#options.logger.warn({ err: String(error) }, 'ninjatrader outgoing folder not watchable');
    }
    await this.scan();
    this.#armRescan();
  }

  /** Stops watching and forgets what was read. */
  stop(): void {
    this.#running = false;
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#rescanTimer?.cancel();
    this.#rescanTimer = undefined;
    for (const timer of this.#pending.values()) timer.cancel();
    this.#pending.clear();
  }

  /** The text of a file as last read, if it exists. */
  text(name: string): string | undefined {
    return this.#known.get(name)?.text;
  }

  /** Every file name as last read. */
  names(): string[] {
    return [...this.#known.keys()];
  }

  /**
   * Reads every file whose size or modification time changed since the last read, and
   * notices removed files; resolves when done. Also what the safety re-scan runs.
   */
  scan(): Promise<void> {
    const run = this.#chain.then(async () => {
      if (!this.#running) return;
      let names: string[];
      try {
        names = await readdir(this.#options.dir);
      } catch (error) {
        this.#options.logger.warn({ err: String(error) }, 'ninjatrader outgoing folder unreadable');
        return;
      }
      const present = new Set(names);
      for (const name of names) await this.#read(name, false);
      for (const name of [...this.#known.keys()]) {
        if (!present.has(name)) {
          this.#known.delete(name);
          this.#options.onRemove?.(name);
        }
      }
    });
    this.#chain = run.catch(() => {});
    return run;
  }

  #schedule(name: string): void {
    if (!this.#running || this.#pending.has(name)) return;
    // 0 ms: notifications of one burst coalesce into one read, without waiting out a debounce.
    this.#readAfter(name, 0);
  }

  #readAfter(name: string, ms: number): void {
    const read = () => {
      this.#pending.delete(name);
      const run = this.#chain.then(() => this.#read(name, true));
      this.#chain = run.catch(() => {});
    };
    if (ms > 0) {
      this.#pending.set(name, this.#options.clock.setTimer(ms, read));
      return;
    }
    // Not a 0 ms timer: Node holds those for 1 ms, most of a round trip here.
    const immediate = setImmediate(read);
    this.#pending.set(name, { cancel: () => clearImmediate(immediate) });
  }

  /**
   * Reads one file. A notified read always looks at the content, because the file-system
   * clock is coarse (two rewrites within a few ms can share a modification time and size);
   * a re-scan trusts size and time so it stays cheap. A notified read is synchronous: the
   * file is a line long on a folder that just notified (a local disk), and its stat, read
   * and second stat through the thread pool cost three hand-offs, most of what the adapter
   * added to a fill's round trip on a busy machine. The re-scan, which also serves shares
   * that may stall, stays asynchronous.
   */
  async #read(name: string, notified: boolean): Promise<void> {
    if (!this.#running || !name.toLowerCase().endsWith('.txt')) return;
    const path = join(this.#options.dir, name);
    let info: Stats;
    try {
      info = notified ? statSync(path) : await stat(path);
    } catch {
      if (this.#known.delete(name)) this.#options.onRemove?.(name);
      return;
    }
    if (!info.isFile()) return;
    const known = this.#known.get(name);
    const sameStamp = known !== undefined && known.mtimeMs === info.mtimeMs && known.size === info.size;
    if (sameStamp && !notified) return;
    let text: string;
    try {
      const bytes = notified ? readFileSync(path) : await readFile(path);
      text = bytes.toString('utf8');
      // Emptied for a rewrite: the write that follows notifies again (and a re-scan sees it).
      if (text === '') return;
      // Read as soon as notified: only text whose size is the file's before and after the read
      // (same stamp) is whole. A file still being rewritten is read again after the debounce,
      // unless a newer notification has already asked for that.
      if (notified && !unchanged(path, info, bytes.length)) {
        if (!this.#pending.has(name) && this.#running) this.#readAfter(name, this.#options.debounceMs);
        return;
      }
    } catch (error) {
      // A sharing violation while NinjaTrader writes: the next notification or re-scan reads it.
      this.#options.logger.debug({ err: String(error), name }, 'ninjatrader outgoing file busy');
      return;
    }
    if (sameStamp && known.text === text) return;
    this.#known.set(name, { mtimeMs: info.mtimeMs, size: info.size, text });
    try {
      this.#options.onChange({ name, text, mtimeMs: info.mtimeMs });
    } catch (error) {
      this.#options.logger.error({ err: String(error), name }, 'ninjatrader outgoing handler threw');
    }
  }

  #armRescan(): void {
    if (!this.#running) return;
    this.#rescanTimer = this.#options.clock.setTimer(this.#options.rescanMs, () => {
      void this.scan().finally(() => this.#armRescan());
    });
  }
}

/** True when the file still has the stamp it had before it was read, and `bytes` is its size. */
function unchanged(path: string, before: { size: number; mtimeMs: number }, bytes: number): boolean {
  if (bytes !== before.size) return false;
  try {
    const after = statSync(path);
    return after.size === before.size && after.mtimeMs === before.mtimeMs;
  } catch {
    return false;
  }
}
