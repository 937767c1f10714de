import { connect, type Socket } from 'node:net';
import type { Clock, Logger } from '@tradenova/core';
import { Reconnector } from '@tradenova/core/adapter';
import { AtiCode, AtiTokenizer, encodeAtiMessage } from '../wire.js';
import type { OutgoingFile } from './outgoing-watcher.js';

/** Options of `AtiSocketFeed`. */
export interface AtiSocketFeedOptions {
  host: string;
  port: number;
  clock: Clock;
  logger: Logger;
  /** Give up on one connection attempt after this long (no `ATI` = `True` value by then). */
  openTimeoutMs: number;
  /** Reconnect backoff: first delay and cap. */
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  /** The state NinjaTrader pushed, as the outgoing file the file interface would have written. */
  onChange: (file: OutgoingFile) => void;
  /** The socket is up (ATI enabled) or lost. */
  onTransport: (up: boolean, reason?: string) => void;
}

/** What the socket told of one order: the three values of an order-state file. */
interface OrderValues {
  state?: string;
  filled?: string;
  avg?: string;
}

/**
 * NinjaTrader's ATI socket (port 36973) as a transport: commands go out as code-0 messages
 * holding the same 13-field line an OIF file holds, and the code-2 key/value pairs that come
 * back are turned into the outgoing files the file route would read (`<ORDER ID>.txt`,
 * `<instrument> Default_<account>_Position.txt`), so the connection handles both routes with
 * one parser. Values of one read are coalesced before they are reported: NinjaTrader sends an
 * order's status, filled quantity and average price as separate pairs.
 *
 * EXPERIMENTAL: the protocol is reverse-engineered (protocol notes §6.2), and which keys are
 * pushed without a request is UNCONFIRMED on a real NinjaTrader 8.
 */
export class AtiSocketFeed {
  readonly #options: AtiSocketFeedOptions;
  readonly #orders = new Map<string, OrderValues>();
  readonly #positions = new Map<string, { qty?: string; avg?: string }>();
  #socket: Socket | undefined;
  #tokenizer = new AtiTokenizer();
  #running = false;
  #up = false;
  readonly #reconnect: Reconnector;
  #dirtyOrders = new Set<string>();
  #dirtyPositions = new Set<string>();

  constructor(options: AtiSocketFeedOptions) {
    this.#options = options;
    this.#reconnect = new Reconnector({ ...options.reconnect, clock: options.clock, jitter: 0 });
  }

  /** Connects and waits for NinjaTrader's `ATI` = `True`; throws when it does not come. */
  async start(): Promise<void> {
    this.#running = true;
    this.#reconnect.start();
    await this.#open();
  }

  /** Closes the socket and stops reconnecting. */
  stop(): void {
    this.#running = false;
    this.#reconnect.stop();
    this.#socket?.destroy();
    this.#socket = undefined;
    this.#up = false;
  }

  /** State is pushed, in order, on one stream: nothing to re-read. Resolves at once. */
  async scan(): Promise<void> {}

  /** Sends command lines (each a code-0 message); resolves when handed to the socket. */
  write(lines: readonly string[]): Promise<string> {
    const socket = this.#socket;
    if (!socket || !this.#up || socket.destroyed) {
      return Promise.reject(new Error('the ATI socket is not connected'));
    }
    const bytes = Buffer.concat(lines.map((line) => encodeAtiMessage([AtiCode.Command, line])));
    return new Promise((resolve, reject) => {
      socket.write(bytes, (error) => (error ? reject(error) : resolve(`${lines.length} command(s)`)));
    });
  }

  #open(): Promise<void> {
    const { host, port, clock, openTimeoutMs } = this.#options;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        timer.cancel();
        if (error) reject(error);
        else resolve();
      };
      const timer = clock.setTimer(openTimeoutMs, () => {
        socket.destroy();
        settle(new Error(`no ATI answer from ${host}:${port} within ${openTimeoutMs} ms`));
      });
      const socket = connect({ host, port });
      socket.setNoDelay(true);
      this.#socket = socket;
      this.#tokenizer = new AtiTokenizer();
      socket.on('data', (data: Buffer) => {
        for (const message of this.#tokenizer.push(data)) {
          if (message[0] !== AtiCode.Value) continue;
          const [, key = '', value = ''] = message;
          if (key === 'ATI') {
            const enabled = value.toLowerCase() === 'true';
            if (enabled && !this.#up) {
              this.#up = true;
              this.#reconnect.reset();
              settle();
              this.#options.onTransport(true);
            } else if (!enabled) {
              settle(new Error('NinjaTrader answered ATI = False: enable the Automated Trading Interface'));
            }
            continue;
          }
          this.#onValue(key, value);
        }
        this.#flush();
      });
      socket.on('error', (error) => {
        this.#options.logger.debug({ err: String(error) }, 'ninjatrader ATI socket error');
        settle(new Error(`ATI socket ${host}:${port}: ${error.message}`));
      });
      socket.on('close', () => {
        settle(new Error(`ATI socket ${host}:${port} closed`));
        if (this.#socket !== socket) return;
        const wasUp = this.#up;
        this.#up = false;
        this.#socket = undefined;
        if (!this.#running) return;
        if (wasUp) this.#options.onTransport(false, 'ATI socket lost');
        this.#reconnect.schedule(() => this.#open());
      });
    });
  }

  /** One pushed pair, by key (`Function|arg|arg`). */
  #onValue(key: string, value: string): void {
    const [fn, ...args] = key.split('|');
    switch (fn) {
      case 'OrderStatus':
      case 'Filled':
      case 'AvgFillPrice': {
        const id = args[0];
        if (id === undefined || id === '') return;
        const values = this.#orders.get(id) ?? {};
        if (fn === 'OrderStatus') values.state = value;
        else if (fn === 'Filled') values.filled = value;
        else values.avg = value;
        this.#orders.set(id, values);
        this.#dirtyOrders.add(id);
        return;
      }
      case 'MarketPosition':
      case 'AvgEntryPrice': {
        const [instrument, account] = args;
        if (!instrument || !account) return;
        const key2 = `${instrument}|${account}`;
        const values = this.#positions.get(key2) ?? {};
        if (fn === 'MarketPosition') values.qty = value;
        else values.avg = value;
        this.#positions.set(key2, values);
        this.#dirtyPositions.add(key2);
        return;
      }
      default:
        // Market data, balances and keys not used here.
        return;
    }
  }

  /** Reports what changed in the last read, as files. */
  #flush(): void {
    const now = this.#options.clock.now();
    for (const id of this.#dirtyOrders) {
      const v = this.#orders.get(id)!;
      // Until the status is known there is nothing to report (the adapter reads a missing file as pending).
      if (v.state === undefined) continue;
      this.#options.onChange({
        name: `${id}.txt`,
        text: `${v.state};${v.filled ?? '0'};${v.avg ?? '0'}`,
        mtimeMs: now,
      });
    }
    this.#dirtyOrders.clear();
    for (const key of this.#dirtyPositions) {
      const v = this.#positions.get(key)!;
      if (v.qty === undefined) continue;
      const [instrument, account] = key.split('|') as [string, string];
      const qty = Number(v.qty);
      if (!Number.isSafeInteger(qty)) continue;
      const side = qty > 0 ? 'LONG' : qty < 0 ? 'SHORT' : 'FLAT';
      this.#options.onChange({
        name: `${instrument} Default_${account}_Position.txt`,
        text: qty === 0 ? 'FLAT;0;0' : `${side};${Math.abs(qty)};${v.avg ?? '0'}`,
        mtimeMs: now,
      });
    }
    this.#dirtyPositions.clear();
  }
}
