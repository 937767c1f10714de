import { connect, type Socket } from 'node:net';

const SOH = '\u0001';

/** One decoded FIX message: tag → value (the last one wins for repeated tags), and the raw text with `|`. */
export interface RawMessage {
  fields: Map<number, string>;
  text: string;
  get(tag: number): string | undefined;
}

/** `YYYYMMDD-HH:MM:SS.sss` in UTC, the FIX UTCTimestamp format. */
export function fixTime(date = new Date()): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 23)}`;
}

/**
 * A FIX initiator with no session logic at all, for driving an acceptor through
 * exact message sequences (acceptance scenarios): it frames, checksums and parses,
 * and sends whatever sequence number the test says, right or wrong.
 */
export class RawFixClient {
  readonly #socket: Socket;
  readonly #beginString: string;
  readonly #sender: string;
  readonly #target: string;
  readonly #inbox: RawMessage[] = [];
  #waiters: (() => void)[] = [];
  #buffer = '';
  #closed = false;
  readonly closed: Promise<void>;

  private constructor(socket: Socket, beginString: string, sender: string, target: string) {
    this.#socket = socket;
    this.#beginString = beginString;
    this.#sender = sender;
    this.#target = target;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#closed = true;
        resolve();
        this.#wake();
      });
    });
    socket.on('error', () => {});
  }

  /** Opens a TCP connection to `port` on loopback. */
  static open(port: number, options: { beginString: string; sender: string; target: string }) {
    return new Promise<RawFixClient>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        resolve(new RawFixClient(socket, options.beginString, options.sender, options.target)),
      );
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Sends a message of `msgType` with MsgSeqNum `seq` and the body fields in order (header built here). */
  send(msgType: string, seq: number, body: [number, string | number][] = []): void {
    const header: [number, string | number][] = [
      [35, msgType],
      [34, seq],
      [49, this.#sender],
      [52, fixTime()],
      [56, this.#target],
    ];
    const inner = [...header, ...body].map(([t, v]) => `${t}=${v}${SOH}`).join('');
    const head = `8=${this.#beginString}${SOH}9=${Buffer.byteLength(inner, 'latin1')}${SOH}`;
    const withoutSum = head + inner;
    let sum = 0;
    for (const byte of Buffer.from(withoutSum, 'latin1')) sum += byte;
    this.#socket.write(`${withoutSum}10=${String(sum % 256).padStart(3, '0')}${SOH}`, 'latin1');
  }

  /** A Logon with HeartBtInt 30 and no encryption. */
  logon(seq: number, extra: [number, string | number][] = []): void {
    this.send('A', seq, [[98, 0], [108, 30], ...extra]);
  }

  /** The next message (of `msgType` when given, skipping others), or an error after `ms`. */
  async next(msgType?: string, ms = 5_000): Promise<RawMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const index = this.#inbox.findIndex((m) => msgType === undefined || m.get(35) === msgType);
      if (index >= 0) {
        // Messages before the match are dropped: a test asks for them explicitly when it cares.
        const [message] = this.#inbox.splice(0, index + 1).slice(-1);
        return message!;
      }
      if (this.#closed) throw new Error(`connection closed while waiting for ${msgType ?? 'a message'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${msgType ?? 'message'} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Every message received and not yet taken by `next`. */
  pending(): RawMessage[] {
    return [...this.#inbox];
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    for (;;) {
      // A message ends with the CheckSum field: `<SOH>10=nnn<SOH>`.
      const trailer = this.#buffer.startsWith('10=') ? 0 : this.#buffer.indexOf(`${SOH}10=`);
      if (trailer < 0) break;
      const stop = this.#buffer.indexOf(SOH, trailer + 1) + 1;
      if (stop === 0) break;
      const text = this.#buffer.slice(0, stop);
      this.#buffer = this.#buffer.slice(stop);
      const fields = new Map<number, string>();
      for (const part of text.split(SOH)) {
        if (!part) continue;
        const eq = part.indexOf('=');
        fields.set(Number(part.slice(0, eq)), part.slice(eq + 1));
      }
      this.#inbox.push({ fields, text: text.replaceAll(SOH, '|'), get: (tag) => fields.get(tag) });
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
