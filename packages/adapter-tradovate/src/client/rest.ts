import {
  BrokerAuthError,
  BrokerDisconnectedError,
  BrokerError,
  BrokerTimeoutError,
  type Clock,
  type Logger,
  sleep,
  type Timer,
} from '@tradenova/core';
import {
  BROKER,
  type ErrorContext,
  errorFromBody,
  errorFromStatus,
  penaltyError,
  penaltyOf,
} from '../errors.js';
import { parseJsonExact, type TvAccessToken } from '../wire.js';

/** Who we are to Tradovate: the fields of `auth/accesstokenrequest` (§3.1). */
export interface TradovateCredentials {
  username: string;
  password: string;
  appId: string;
  appVersion: string;
  deviceId?: string;
  cid?: number;
  secret?: string;
}

/** Options of the REST client. */
export interface RestClientOptions {
  /** Base URL including `/v1`. */
  baseUrl: string;
  credentials: TradovateCredentials;
  clock: Clock;
  logger: Logger;
  renewBeforeMs: number;
  maxPenaltyWaitMs: number;
  requestTimeoutMs: number;
}

/** The current session. */
export interface TokenState {
  accessToken: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
  userId: number;
}

/** Counts of token requests, for tests and health. */
export interface AuthStats {
  logins: number;
  renewals: number;
}

/** A request: method, `entity/operation` path, optional query and JSON body. */
export interface RestRequest {
  method: 'GET' | 'POST';
  /** `order/placeorder`, without `/v1`. */
  endpoint: string;
  query?: Record<string, string | number>;
  body?: Record<string, unknown>;
  /** For unknown-order errors. */
  orderId?: string;
}

/**
 * Tradovate's REST API: the session (token request, renewal before expiry, one
 * re-login on a 401), penalty tickets (wait `p-time`, resend with the ticket) and
 * HTTP-200 failure bodies turned into typed errors.
 */
export class TradovateRestClient {
  readonly #options: RestClientOptions;
  #token: TokenState | undefined;
  #renewTimer: Timer | undefined;
  /** One login or renewal at a time: concurrent callers share it. */
  #session: Promise<TokenState> | undefined;
  #closed = false;
  /** Round trip of the last request, ms. */
  lastLatencyMs: number | undefined;
  readonly stats: AuthStats = { logins: 0, renewals: 0 };

  constructor(options: RestClientOptions) {
    this.#options = options;
  }

  /** The session, if logged in. */
  get token(): TokenState | undefined {
    return this.#token;
  }

  /** Logs in unless a valid session exists; returns it. */
  async ensureSession(): Promise<TokenState> {
    const token = this.#token;
    if (token && token.expiresAt > this.#options.clock.now()) return token;
    return this.#login();
  }

  /** The server refused `accessToken` elsewhere (the socket's authorize): the next `ensureSession` logs in again. */
  forget(accessToken: string): void {
    if (this.#token?.accessToken === accessToken) this.#token = undefined;
  }

  /** Requests a new access token (a new session). */
  #login(): Promise<TokenState> {
    this.#session ??= (async () => {
      try {
        const c = this.#options.credentials;
        const body: Record<string, unknown> = {
          name: c.username,
          password: c.password,
          appId: c.appId,
          appVersion: c.appVersion,
        };
        if (c.deviceId !== undefined) body.deviceId = c.deviceId;
        if (c.cid !== undefined) body.cid = c.cid;
        if (c.secret !== undefined) body.sec = c.secret;
        const answer = (await this.#send(
          { method: 'POST', endpoint: 'auth/accesstokenrequest', body },
          undefined,
        )) as TvAccessToken;
        this.stats.logins++;
        return this.#adopt(answer, 'auth/accesstokenrequest');
      } finally {
        this.#session = undefined;
      }
    })();
    return this.#session;
  }

  /** Renews the current token (extends the session; no new session is created). */
  renew(): Promise<TokenState> {
    const current = this.#token;
    if (!current) return this.#login();
    this.#session ??= (async () => {
      try {
        const answer = (await this.#send(
          { method: 'GET', endpoint: 'auth/renewaccesstoken' },
          current.accessToken,
        )) as TvAccessToken;
        this.stats.renewals++;
        return this.#adopt(answer, 'auth/renewaccesstoken');
      } finally {
        this.#session = undefined;
      }
    })();
    return this.#session;
  }

  #adopt(answer: TvAccessToken, endpoint: string): TokenState {
    if (!answer.accessToken || !answer.expirationTime || answer.userId === undefined) {
      throw new BrokerAuthError(BROKER, `${endpoint}: no access token in the answer`);
    }
    const expiresAt = Date.parse(answer.expirationTime);
    if (!Number.isFinite(expiresAt))
      throw new BrokerAuthError(BROKER, `${endpoint}: unreadable expirationTime`);
    this.#token = { accessToken: answer.accessToken, expiresAt, userId: answer.userId };
    this.#scheduleRenewal(this.#token);
    return this.#token;
  }

  /**
   * Renews `renewBeforeMs` ahead of expiry, but never later than half way through a
   * short lifetime, so a token that lives less than the margin is still renewed in time.
   */
  #scheduleRenewal(token: TokenState): void {
    this.#renewTimer?.cancel();
    if (this.#closed) return;
    const lifetime = token.expiresAt - this.#options.clock.now();
    const delay = Math.max(lifetime - this.#options.renewBeforeMs, Math.floor(lifetime / 2), 0);
    this.#renewTimer = this.#options.clock.setTimer(delay, () => {
      this.renew().catch((error: unknown) => {
        // The next request re-logs in on its 401; renewal failing is not fatal by itself.
        this.#options.logger.warn({ err: describe(error) }, 'tradovate token renewal failed');
      });
    });
  }

  /**
   * Sends an authorized request. A 401 (expired or revoked token) gets one fresh
   * login and one resend; a second 401 is an auth error.
   */
  async request<T>(request: RestRequest): Promise<T> {
    const session = await this.ensureSession();
    try {
      return (await this.#send(request, session.accessToken)) as T;
    } catch (error) {
      if (!(error instanceof BrokerError) || error.code !== 'TN_ERR_BROKER_TOKEN_EXPIRED') throw error;
      this.#options.logger.info({ endpoint: request.endpoint }, 'tradovate token refused; logging in again');
      this.#token = undefined;
      const fresh = await this.#login();
      try {
        return (await this.#send(request, fresh.accessToken)) as T;
      } catch (again) {
        if (again instanceof BrokerError && again.code === 'TN_ERR_BROKER_TOKEN_EXPIRED') {
          throw new BrokerAuthError(
            BROKER,
            `${request.endpoint}: 401 with a fresh token (on live, check deviceId and the API key's permissions)`,
            { cause: again },
          );
        }
        throw again;
      }
    }
  }

  /** One HTTP exchange plus penalty-ticket resends. */
  async #send(request: RestRequest, accessToken: string | undefined): Promise<unknown> {
    const context: ErrorContext = {
      endpoint: request.endpoint,
      ...(request.orderId ? { orderId: request.orderId } : {}),
    };
    let ticket: string | undefined;
    for (;;) {
      const { status, text } = await this.#http(request, accessToken, ticket);
      if (status < 200 || status >= 300) throw errorFromStatus(status, text, context);
      const body = text === '' ? undefined : safeParse(text);
      const penalty = penaltyOf(body);
      if (penalty) {
        const waitMs = penalty['p-time'] * 1000;
        if (penalty['p-captcha'] || waitMs > this.#options.maxPenaltyWaitMs)
          throw penaltyError(penalty, context);
        this.#options.logger.info(
          { endpoint: request.endpoint, waitMs },
          'tradovate time penalty; waiting to resend',
        );
        await sleep(this.#options.clock, waitMs);
        ticket = penalty['p-ticket'];
        continue;
      }
      const failure = errorFromBody(body, context);
      if (failure) throw failure;
      return body;
    }
  }

  async #http(
    request: RestRequest,
    accessToken: string | undefined,
    ticket: string | undefined,
  ): Promise<{ status: number; text: string }> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(request.query ?? {})) query.set(key, String(value));
    // The resend carries the ticket: in the body for POST (as documented), in the query for GET.
    if (ticket !== undefined && request.method === 'GET') query.set('p-ticket', ticket);
    const search = query.size > 0 ? `?${query.toString()}` : '';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (accessToken !== undefined) headers.authorization = `Bearer ${accessToken}`;
    let body: string | undefined;
    if (request.method === 'POST') {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(
        ticket === undefined ? (request.body ?? {}) : { ...request.body, 'p-ticket': ticket },
      );
    }
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(`${this.#options.baseUrl}/${request.endpoint}${search}`, {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
      });
    } catch (error) {
      throw transportError(error, request.endpoint, this.#options.requestTimeoutMs);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw transportError(error, request.endpoint, this.#options.requestTimeoutMs);
    }
    this.lastLatencyMs = performance.now() - started;
    return { status: response.status, text };
  }

  /** Stops the renewal timer; the session itself simply expires. */
  close(): void {
    this.#closed = true;
    this.#renewTimer?.cancel();
    this.#renewTimer = undefined;
  }

  /** Re-arms renewal after `close()` (a connection that reconnects). */
  open(): void {
    this.#closed = false;
    if (this.#token) this.#scheduleRenewal(this.#token);
  }
}

function safeParse(text: string): unknown {
  try {
    return parseJsonExact(text);
  } catch {
    // Some errors come back as plain text; keep it for the message.
    return { errorText: text };
  }
}

/** A failed send is never a reject: the request may have been processed, so the outcome is unknown. */
function transportError(error: unknown, endpoint: string, timeoutMs: number): BrokerError {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new BrokerTimeoutError(BROKER, timeoutMs, { cause: error });
  }
  return new BrokerDisconnectedError(BROKER, `${endpoint}: connection failed (outcome unknown)`, {
    cause: error,
  });
}

/** An error's message without its stack, for logs. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
