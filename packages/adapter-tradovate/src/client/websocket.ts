import {
  BrokerAuthError,
  BrokerDisconnectedError,
  type Clock,
  type ConnectionState,
  type Logger,
  type Timer,
} from '@tradenova/core';
import { Reconnector } from '@tradenova/core/adapter';
import { WebSocket } from 'ws';
import { BROKER, errorFromStatus } from '../errors.js';
import {
  decodeServerFrame,
  encodeClientRequest,
  type TvPropsEvent,
  type TvSocketMessage,
  type TvSyncSnapshot,
} from '../wire.js';

/** A response to a socket request: the HTTP-like status and the data (an error string on non-2xx). */
export interface SocketResponse {
  s: number;
  d: unknown;
}

/** Options of the user socket. */
export interface UserSocketOptions {
  url: string;
  clock: Clock;
  logger: Logger;
  /** How often to send `[]`. */
  heartbeatMs: number;
  /** No frame for this long means the socket is dead. */
  staleAfterMs: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  /** A currently valid token and the user it belongs to (reconnects need a fresh one, §3.2). */
  session: () => Promise<{ accessToken: string; userId: number }>;
  /**
   * The server refused this token at `authorize` (revoked, or a server that restarted and
   * forgot it): the next `session()` must log in again, or every reconnect is refused alike.
   */
  tokenRefused?: (accessToken: string) => void;
  /** Account ids to sync, or undefined for all of the user's. */
  accountIds: () => number[] | undefined;
  /** Source of jitter, in [0, 1). */
  random?: () => number;
  /** How long to wait for the open frame, the authorize answer and the snapshot. */
  handshakeTimeoutMs?: number;
}

/** What the socket reports. */
export interface UserSocketListeners {
  /** A `user/syncrequest` snapshot; `resync` is true after a reconnect. */
  snapshot(snapshot: TvSyncSnapshot, resync: boolean): void;
  /** A `props` event. */
  props(event: TvPropsEvent): void;
  /** A state change, with the reason for a drop. */
  state(state: ConnectionState, reason?: string): void;
}

interface Pending {
  resolve: (response: SocketResponse) => void;
  reject: (error: Error) => void;
}

/**
 * Tradovate's real-time user socket: `o` / `h` / `a` / `c` frames, `authorize`,
 * `user/syncrequest`, `props` events, the `[]` heartbeat on its own timer, and
 * reconnection with exponential backoff and jitter followed by a fresh snapshot.
 */
export class TradovateUserSocket {
  readonly #options: UserSocketOptions;
  readonly #listeners: UserSocketListeners;
  readonly #reconnect: Reconnector;
  #socket: WebSocket | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #heartbeat: Timer | undefined;
  #staleCheck: Timer | undefined;
  #lastFrameAt = 0;
  #stopped = true;

  constructor(options: UserSocketOptions, listeners: UserSocketListeners) {
    this.#options = options;
    this.#listeners = listeners;
    this.#reconnect = new Reconnector({
      ...options.reconnect,
      clock: options.clock,
      ...(options.random === undefined ? {} : { random: options.random }),
    });
  }

  /** True while a socket is open and authorized. */
  get isOpen(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Connects, authorizes and syncs; rejects when the first attempt fails (no retry for a bad start). */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#reconnect.start();
    await this.#open(false);
  }

  /** Closes for good: no reconnect. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#reconnect.stop();
    const socket = this.#socket;
    this.#teardown('stopped');
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close(1000, 'bye');
        // A peer that never answers the close handshake must not hold us up.
        const t = setTimeout(() => {
          socket.terminate();
          resolve();
        }, 1_000);
        t.unref();
      });
    }
  }

  /** Sends `endpoint\nid\nquery\nbody` and waits for the response with that id. */
  request(endpoint: string, query = '', body = '', timeoutMs = 10_000): Promise<SocketResponse> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new BrokerDisconnectedError(BROKER, `${endpoint}: socket not open`));
    }
    return this.#requestOn(socket, endpoint, query, body, timeoutMs);
  }

  #requestOn(
    socket: WebSocket,
    endpoint: string,
    query: string,
    body: string,
    timeoutMs: number,
  ): Promise<SocketResponse> {
    const id = endpoint === 'authorize' ? 0 : this.#nextId++;
    return new Promise<SocketResponse>((resolve, reject) => {
      const timer = this.#options.clock.setTimer(timeoutMs, () => {
        this.#pending.delete(id);
        reject(new BrokerDisconnectedError(BROKER, `${endpoint}: no answer within ${timeoutMs} ms`));
      });
      this.#pending.set(id, {
        resolve: (r) => {
          timer.cancel();
          resolve(r);
        },
        reject: (e) => {
          timer.cancel();
          reject(e);
        },
      });
      socket.send(encodeClientRequest({ endpoint, id, query, body }));
    });
  }

  /** One connection attempt: open, wait for `o`, authorize, sync. */
  async #open(resync: boolean): Promise<void> {
    const { accessToken, userId } = await this.#options.session();
    const handshakeMs = this.#options.handshakeTimeoutMs ?? 10_000;
    const socket = new WebSocket(this.#options.url);
    this.#socket = socket;
    const opened = new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      socket.once('error', fail);
      socket.once('close', (code, reason) =>
        fail(
          new BrokerDisconnectedError(
            BROKER,
            `socket closed during handshake (${code} ${reason.toString()})`,
          ),
        ),
      );
      this.#onOpenFrame = () => {
        socket.off('error', fail);
        resolve();
      };
    });
    // Whichever of timeout or close loses the race must not become an unhandled rejection.
    opened.catch(() => {});
    socket.on('message', (data) => this.#onMessage(socket, data.toString()));
    socket.on('close', (code, reason) => this.#onClose(socket, `closed ${code} ${reason.toString()}`.trim()));
    socket.on('error', (error) =>
      this.#options.logger.debug({ err: error.message }, 'tradovate socket error'),
    );
    try {
      await withTimeout(opened, handshakeMs, 'open frame');
      let auth = await this.#requestOn(socket, 'authorize', '', accessToken, handshakeMs);
      let user = userId;
      if (auth.s === 401 && this.#options.tokenRefused) {
        // A token the server no longer knows (revoked, or a server that restarted): one fresh
        // login and one more authorize on this socket, rather than a backoff step per refusal.
        this.#options.tokenRefused(accessToken);
        const fresh = await this.#options.session();
        auth = await this.#requestOn(socket, 'authorize', '', fresh.accessToken, handshakeMs);
        user = fresh.userId;
        if (auth.s === 401) this.#options.tokenRefused(fresh.accessToken);
      }
      if (auth.s !== 200) {
        // The token text is never put in the message.
        throw auth.s === 401
          ? new BrokerAuthError(BROKER, 'authorize: token refused')
          : errorFromStatus(auth.s, String(auth.d ?? ''), { endpoint: 'authorize' });
      }
      this.#startTimers(socket);
      const accounts = this.#options.accountIds();
      const syncBody = JSON.stringify({ users: [user], ...(accounts ? { accounts } : {}) });
      const sync = await this.#requestOn(socket, 'user/syncrequest', '', syncBody, handshakeMs);
      if (sync.s !== 200)
        throw errorFromStatus(sync.s, String(sync.d ?? ''), { endpoint: 'user/syncrequest' });
      this.#listeners.snapshot((sync.d ?? {}) as TvSyncSnapshot, resync);
      this.#listeners.state('connected');
    } catch (error) {
      // Forget the socket first, so its close does not schedule a second reconnect: the caller decides.
      if (this.#socket === socket) this.#socket = undefined;
      this.#teardown('handshake failed');
      socket.terminate();
      throw error;
    }
  }

  #onOpenFrame: (() => void) | undefined;

  #onMessage(socket: WebSocket, text: string): void {
    if (socket !== this.#socket) return;
    this.#lastFrameAt = this.#options.clock.now();
    let frame: ReturnType<typeof decodeServerFrame>;
    try {
      frame = decodeServerFrame(text);
    } catch (error) {
      this.#options.logger.warn({ err: (error as Error).message }, 'tradovate: unreadable frame ignored');
      return;
    }
    switch (frame.type) {
      case 'open':
        this.#onOpenFrame?.();
        this.#onOpenFrame = undefined;
        return;
      case 'heartbeat':
        return;
      case 'close':
        this.#options.logger.info(
          { code: frame.code, reason: frame.reason },
          'tradovate server closing the socket',
        );
        return;
      case 'data':
        for (const message of frame.messages) this.#onData(socket, message);
        return;
    }
  }

  #onData(socket: WebSocket, message: TvSocketMessage): void {
    if (message.e !== undefined) {
      if (message.e === 'props') {
        this.#listeners.props(message.d as TvPropsEvent);
      } else if (message.e === 'shutdown') {
        const d = (message.d ?? {}) as { reasonCode?: string; reason?: string };
        this.#options.logger.warn({ reasonCode: d.reasonCode }, 'tradovate shutdown event; reconnecting');
        // Do not wait for the server to close: a fresh socket with backoff is the documented answer.
        socket.close(1000, 'shutdown');
      }
      return;
    }
    if (message.i !== undefined) {
      const pending = this.#pending.get(message.i);
      if (!pending) return;
      this.#pending.delete(message.i);
      pending.resolve({ s: message.s ?? 0, d: message.d });
    }
  }

  #startTimers(socket: WebSocket): void {
    this.#lastFrameAt = this.#options.clock.now();
    const beat = () => {
      // The heartbeat runs on its own timer: inbound traffic does not count as ours.
      if (socket.readyState === WebSocket.OPEN) socket.send('[]');
      this.#heartbeat = this.#options.clock.setTimer(this.#options.heartbeatMs, beat);
    };
    this.#heartbeat = this.#options.clock.setTimer(this.#options.heartbeatMs, beat);
    const check = () => {
      if (this.#options.clock.now() - this.#lastFrameAt > this.#options.staleAfterMs) {
        this.#options.logger.warn(
          { staleAfterMs: this.#options.staleAfterMs },
          'tradovate socket silent; dropping it',
        );
        socket.terminate();
        return;
      }
      this.#staleCheck = this.#options.clock.setTimer(Math.min(1_000, this.#options.staleAfterMs), check);
    };
    this.#staleCheck = this.#options.clock.setTimer(Math.min(1_000, this.#options.staleAfterMs), check);
  }

  #teardown(reason: string): void {
    this.#heartbeat?.cancel();
    this.#staleCheck?.cancel();
    this.#heartbeat = undefined;
    this.#staleCheck = undefined;
    this.#onOpenFrame = undefined;
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(new BrokerDisconnectedError(BROKER, `socket ${reason} (outcome unknown)`));
    }
  }

  #onClose(socket: WebSocket, reason: string): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#teardown(reason);
    if (this.#stopped) {
      this.#listeners.state('disconnected', reason);
      return;
    }
    this.#listeners.state('reconnecting', reason);
    this.#scheduleReconnect();
  }

  /** Exponential backoff with up to 50 % jitter, so many connections do not return in lock step. */
  #scheduleReconnect(): void {
    this.#reconnect.schedule(
      () => this.#open(true),
      (error, attempt) => {
        this.#options.logger.warn({ err: (error as Error).message, attempt }, 'tradovate reconnect failed');
        this.#socket = undefined;
      },
    );
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new BrokerDisconnectedError(BROKER, `no ${what} within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
