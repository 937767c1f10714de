import {
  HttpTransportType,
  type HubConnection,
  HubConnectionBuilder,
  type IHttpConnectionOptions,
  type ILogger,
  LogLevel,
} from '@microsoft/signalr';
import type { Clock, Logger } from '@tradenova/core';
import { Reconnector } from '@tradenova/core/adapter';
import { WebSocket } from 'ws';
import {
  HUB_EVENTS,
  type PxAccount,
  type PxOrder,
  type PxPosition,
  type PxTrade,
  unwrapHubPayload,
} from '../wire.js';

/** Options of the user hub client. */
export interface UserHubOptions {
  /** `https://…/hubs/user` (or `http://` for a simulator). */
  url: string;
  /** The current access token; called before every (re)connect, so a renewed token is used. */
  token: () => Promise<string>;
  /** The account ids to subscribe orders, positions and trades for. */
  accountIds: () => number[];
  skipNegotiation: boolean;
  serverTimeoutMs: number;
  keepAliveMs: number;
  reconnectInitialDelayMs: number;
  reconnectMaxDelayMs: number;
  clock: Clock;
  logger: Logger;
}

/** What the hub reports to its owner. */
export interface UserHubListeners {
  account(account: PxAccount): void;
  order(order: PxOrder): void;
  position(position: PxPosition): void;
  trade(trade: PxTrade): void;
  /** Connected and subscribed; `first` on the initial connect, false after a reconnect. */
  up(first: boolean): void;
  /** The connection was lost (not on `stop()`); reconnecting has started. */
  down(reason: string): void;
}

/**
 * The ProjectX user hub over the official `@microsoft/signalr` client. Every
 * (re)connect builds a fresh connection with the current token in the URL (as
 * ProjectX's samples pass it) and re-invokes every subscription, because
 * subscriptions do not survive a reconnect (§7.1). Reconnecting never gives up:
 * the owner polls REST meanwhile.
 */
export class ProjectXUserHub {
  readonly #options: UserHubOptions;
  readonly #listeners: UserHubListeners;
  #connection: HubConnection | undefined;
  #stopping = false;
  readonly #reconnect: Reconnector;
  /** Connections opened so far (the first one included). */
  connects = 0;

  constructor(options: UserHubOptions, listeners: UserHubListeners) {
    this.#options = options;
    this.#listeners = listeners;
    this.#reconnect = new Reconnector({
      initialDelayMs: options.reconnectInitialDelayMs,
      maxDelayMs: options.reconnectMaxDelayMs,
      clock: options.clock,
    });
  }

  /** Whether the hub is connected and subscribed now. */
  get connected(): boolean {
    return this.#connection?.state === 'Connected';
  }

  /**
   * Connects and subscribes. When this first attempt fails it rejects, and the
   * hub keeps retrying in the background (reporting through `up`) unless stopped.
   */
  async start(): Promise<void> {
    this.#stopping = false;
    this.#reconnect.start();
    try {
      await this.#open(true);
    } catch (error) {
      this.#scheduleRetry();
      throw error;
    }
  }

  /** Closes the hub and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#reconnect.stop();
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.stop().catch(() => {});
  }

  async #open(first: boolean): Promise<void> {
    const token = await this.#options.token();
    const url = `${this.#options.url}${this.#options.url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
    // `WebSocket` is read by the client at run time but missing from its option types.
    const options: IHttpConnectionOptions & { WebSocket: unknown } = {
      // The token travels in the URL (ProjectX's samples) and, under Node, also as a bearer header.
      accessTokenFactory: () => this.#options.token(),
      skipNegotiation: this.#options.skipNegotiation,
      transport: HttpTransportType.WebSockets,
      // Under Node the client cannot find `ws` by itself from an ES module: hand it over.
      WebSocket,
      logger: new RedactingLogger(this.#options.logger),
    };
    const connection = new HubConnectionBuilder()
      .withUrl(url, options)
      .configureLogging(new RedactingLogger(this.#options.logger))
      .build();
    connection.serverTimeoutInMilliseconds = this.#options.serverTimeoutMs;
    connection.keepAliveIntervalInMilliseconds = this.#options.keepAliveMs;
    connection.on(HUB_EVENTS.account, (arg: unknown) =>
      this.#deliver(arg, (a: PxAccount) => this.#listeners.account(a)),
    );
    connection.on(HUB_EVENTS.order, (arg: unknown) =>
      this.#deliver(arg, (o: PxOrder) => this.#listeners.order(o)),
    );
    connection.on(HUB_EVENTS.position, (arg: unknown) =>
      this.#deliver(arg, (p: PxPosition) => this.#listeners.position(p)),
    );
    connection.on(HUB_EVENTS.trade, (arg: unknown) =>
      this.#deliver(arg, (t: PxTrade) => this.#listeners.trade(t)),
    );
    connection.onclose((error) => {
      if (this.#connection !== connection || this.#stopping) return;
      this.#connection = undefined;
      this.#listeners.down(error?.message ? redact(error.message) : 'the hub closed the connection');
      this.#scheduleRetry();
    });
    this.#connection = connection;
    try {
      await connection.start();
      await connection.invoke('SubscribeAccounts');
      for (const id of this.#options.accountIds()) {
        await connection.invoke('SubscribeOrders', id);
        await connection.invoke('SubscribePositions', id);
        await connection.invoke('SubscribeTrades', id);
      }
    } catch (error) {
      if (this.#connection === connection) this.#connection = undefined;
      await connection.stop().catch(() => {});
      throw error;
    }
    if (this.#stopping) {
      await connection.stop().catch(() => {});
      return;
    }
    this.connects++;
    this.#listeners.up(first);
  }

  #deliver<T>(argument: unknown, to: (payload: T) => void): void {
    const payload = unwrapHubPayload<T>(argument);
    if (payload === undefined) return;
    try {
      to(payload);
    } catch (error) {
      this.#options.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'projectx hub event not applied',
      );
    }
  }

  /** Exponential backoff with up to 50 % jitter, forever. */
  #scheduleRetry(): void {
    this.#reconnect.schedule(
      () => this.#open(false),
      (error) =>
        this.#options.logger.debug(
          { err: redact(error instanceof Error ? error.message : String(error)) },
          'projectx hub reconnect failed',
        ),
    );
  }
}

/** Hides the token in anything the SignalR client writes (its URLs carry `access_token`). */
export function redact(text: string): string {
  return text
    .replace(/access_token=[^&\s'"]+/g, 'access_token=[redacted]')
    .replace(/Bearer\s+[\w.-]+/g, 'Bearer [redacted]');
}

/** The SignalR client's log, at warning and above, into ours with the token removed. */
class RedactingLogger implements ILogger {
  readonly #logger: Logger;
  constructor(logger: Logger) {
    this.#logger = logger;
  }
  log(level: LogLevel, message: string): void {
    if (level >= LogLevel.Error) this.#logger.warn({ signalr: redact(message) }, 'projectx hub client error');
    else if (level >= LogLevel.Warning)
      this.#logger.debug({ signalr: redact(message) }, 'projectx hub client warning');
  }
}
