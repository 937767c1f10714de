import { connect, type Socket } from 'node:net';
import type { Clock, Logger, Timer } from '@tradenova/core';
import { BROKER, disconnectedError } from '../errors.js';
import {
  DtcEncoding,
  type DtcMessage,
  DtcType,
  decodeEncodingMessage,
  decodeJson,
  ENCODING_MESSAGE_SIZE,
  encodeEncodingMessage,
  encodeJson,
  NulFramer,
} from '../wire.js';

/** A timer firing later than this (ms) was held up by this process, not by the server. */
const LATE_TIMER_MS = 250;

/** Options of one DTC session. */
export interface DtcSessionOptions {
  host: string;
  port: number;
  /** Run the binary encoding request first (`request`), or speak JSON at once (`json`). */
  encoding: 'request' | 'json';
  clock: Clock;
  logger: Logger;
  /** Give up on TCP connect plus encoding handshake after this long. */
  openTimeoutMs: number;
  onMessage: (message: DtcMessage) => void;
  /** Called once when the socket is gone, for whatever reason. */
  onClose: (reason: string) => void;
}

/**
 * One TCP connection to a DTC server in the JSON encoding: the optional binary encoding
 * handshake, NUL-delimited JSON both ways, and heartbeats once logged on. A session is
 * never reused; the connection opens a new one after a drop.
 */
export class DtcSession {
  readonly #options: DtcSessionOptions;
  readonly #framer = new NulFramer();
  #socket: Socket | undefined;
  #handshake: Buffer | undefined;
  #closed = false;
  #heartbeat: Timer | undefined;
  #lastReceived = 0;

  constructor(options: DtcSessionOptions) {
    this.#options = options;
  }

  /** Connects and, when configured, agrees on the JSON encoding. */
  open(): Promise<void> {
    const { host, port, clock, openTimeoutMs } = this.#options;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        timer.cancel();
        if (error) {
          this.close(error.message);
          reject(error);
        } else resolve();
      };
      const due = clock.now() + openTimeoutMs;
      const expire = () => {
        // A timer that fires late says this process could not run (a busy start-up: other
        // adapters loading, a journal opening, a loaded machine), not that the server was slow:
        // the answer may be waiting unread. Give back the time lost, once, before giving up.
        const late = clock.now() - due;
        if (late > LATE_TIMER_MS && !extended) {
          extended = true;
          timer = clock.setTimer(late, expire);
          return;
        }
        settle(disconnectedError(`no DTC session with ${host}:${port} within ${openTimeoutMs} ms`));
      };
      let extended = false;
      let timer = clock.setTimer(openTimeoutMs, expire);
      const socket = connect({ host, port });
      this.#socket = socket;
      socket.setNoDelay(true);
      socket.on('connect', () => {
        this.#lastReceived = clock.now();
        if (this.#options.encoding === 'request') {
          this.#handshake = Buffer.alloc(0);
          socket.write(encodeEncodingMessage(DtcType.EncodingRequest, DtcEncoding.Json));
        } else settle();
      });
      socket.on('data', (data: Buffer) => {
        this.#lastReceived = clock.now();
        if (this.#handshake !== undefined) {
          // The encoding response is binary: collect its 16 bytes, then JSON follows on the same stream.
          this.#handshake = Buffer.concat([this.#handshake, data]);
          const answer = decodeEncodingMessage(this.#handshake);
          if (!answer) return;
          const rest = this.#handshake.subarray(Math.max(answer.size, ENCODING_MESSAGE_SIZE));
          this.#handshake = undefined;
          if (answer.type !== DtcType.EncodingResponse || answer.encoding !== DtcEncoding.Json) {
            settle(
              disconnectedError(
                `DTC server answered encoding ${answer.encoding} (type ${answer.type}); set its Encoding to JSON or Automatic`,
              ),
            );
            return;
          }
          settle();
          if (rest.length > 0) this.#receive(rest);
          return;
        }
        this.#receive(data);
      });
      socket.on('error', (error) => {
        settle(disconnectedError(`${BROKER} socket: ${error.message}`));
        this.close(error.message);
      });
      socket.on('close', () => {
        settle(disconnectedError('DTC server closed the connection'));
        this.close('closed by the server');
      });
    });
  }

  /** Sends one message; false when the socket is gone (the caller treats the outcome as unknown). */
  send(message: DtcMessage): boolean {
    if (this.#closed || !this.#socket || this.#socket.destroyed) return false;
    this.#socket.write(encodeJson(message));
    return true;
  }

  /**
   * Sends HEARTBEAT every interval and closes the session when nothing at all has arrived
   * for twice the interval (the loss rule the notes recommend; Sierra's own is UNCONFIRMED).
   */
  startHeartbeat(intervalSeconds: number): void {
    const intervalMs = intervalSeconds * 1000;
    const tick = () => {
      if (this.#closed) return;
      const now = this.#options.clock.now();
      if (now - this.#lastReceived > 2 * intervalMs) {
        this.close(`no message from the DTC server for ${now - this.#lastReceived} ms`);
        return;
      }
      this.send({ Type: DtcType.Heartbeat, NumDroppedMessages: 0, CurrentDateTime: Math.floor(now / 1000) });
      this.#heartbeat = this.#options.clock.setTimer(intervalMs, tick);
    };
    this.#heartbeat = this.#options.clock.setTimer(intervalMs, tick);
  }

  /** Whether the session is still open. */
  get isOpen(): boolean {
    return !this.#closed;
  }

  /** Closes the socket (once) and reports why. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartbeat?.cancel();
    this.#socket?.destroy();
    this.#options.onClose(reason);
  }

  #receive(data: Buffer): void {
    let frames: string[];
    try {
      frames = this.#framer.push(data);
    } catch (error) {
      this.close(error instanceof Error ? error.message : String(error));
      return;
    }
    for (const frame of frames) {
      const message = decodeJson(frame);
      if (!message) {
        this.#options.logger.debug({ frame: frame.slice(0, 200) }, 'sierrachart: not a DTC message');
        continue;
      }
      if (this.#closed) return;
      this.#options.onMessage(message);
    }
  }
}
