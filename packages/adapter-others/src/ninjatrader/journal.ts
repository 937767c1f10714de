import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OrderType, Side, Ticks } from '@tradenova/core';

/**
 * What the adapter wrote for one order. The outgoing order-state file carries only
 * `state;filled;avg`, so the order's instrument, side, type and prices are kept here,
 * keyed by the ORDER ID (the intent id) that names that state file.
 */
export interface JournalOrder {
  orderId: string;
  accountId: string;
  /** The NinjaTrader instrument name, e.g. `MNQ 12-25`. */
  instrument: string;
  side: Side;
  qty: number;
  orderType: OrderType;
  limitTicks?: Ticks;
  stopTicks?: Ticks;
  /** When the PLACE was written (ms). */
  placedAt: number;
}

/** One journal line: a placement, or a change NinjaTrader confirmed. */
export type JournalEntry =
  | ({ kind: 'place' } & JournalOrder)
  | { kind: 'change'; orderId: string; qty?: number; limitTicks?: Ticks; stopTicks?: Ticks };

/**
 * An append-only JSON-lines file of placements and confirmed changes. Append-only so a crash
 * mid-write loses at most the last line, which the loader skips.
 */
export class OrderJournal {
  readonly #path: string;
  readonly #dir: string;
  /**
   * The file descriptor, opened for appending on first use and kept: one write per entry,
   * where opening and closing the file each time cost two more trips to the thread pool.
   */
  #fd: number | undefined;

  constructor(dir: string, name = 'ninjatrader-orders.jsonl') {
    this.#dir = dir;
    this.#path = join(dir, name);
  }

  /** The journal file's path. */
  get path(): string {
    return this.#path;
  }

  /** Every order in the journal with its confirmed changes applied, by ORDER ID. */
  async load(): Promise<Map<string, JournalOrder>> {
    const orders = new Map<string, JournalOrder>();
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch {
      return orders;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        continue;
      }
      if (entry.kind === 'place') {
        const { kind: _kind, ...order } = entry;
        orders.set(order.orderId, order);
      } else {
        const order = orders.get(entry.orderId);
        if (!order) continue;
        if (entry.qty !== undefined) order.qty = entry.qty;
        if (entry.limitTicks !== undefined) order.limitTicks = entry.limitTicks;
        if (entry.stopTicks !== undefined) order.stopTicks = entry.stopTicks;
      }
    }
    return orders;
  }

  /**
   * Appends one entry (the folder is made and the file opened on first use). The file is
   * opened in append mode, so each entry is one write at its end, whole, whoever else writes.
   * The write is synchronous: a line into the page cache of the adapter's own folder takes
   * microseconds, where a trip through the thread pool cost about a tenth of a millisecond
   * before every PLACE on a busy machine. It is not flushed to the disk (it never was).
   */
  async append(entry: JournalEntry): Promise<void> {
    if (this.#fd === undefined) {
      mkdirSync(this.#dir, { recursive: true });
      this.#fd = openSync(this.#path, 'a');
    }
    writeSync(this.#fd, `${JSON.stringify(entry)}\n`, null, 'utf8');
  }

  /** Closes the file; a later append opens it again. */
  async close(): Promise<void> {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) closeSync(fd);
  }
}
