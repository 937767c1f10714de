import {
  BrokerAuthError,
  BrokerError,
  type Clock,
  ErrorCode,
  type Logger,
  type Timer,
} from '@tradenova/core';
import {
  BROKER,
  type ErrorContext,
  errorFromEnvelope,
  errorFromStatus,
  retryAfterOf,
  transportError,
} from '../errors.js';
import type { PxEnvelope } from '../wire.js';
import type { RequestLane, SlidingWindowLimiter } from './rate-limiter.js';

/** Options of the REST client. */
export interface RestClientOptions {
  /** Host root without `/api`. */
  baseUrl: string;
  userName: string;
  apiKey: string;
  clock: Clock;
  logger: Logger;
  limiter: SlidingWindowLimiter;
  /** Lifetime assumed when the token carries no readable `exp`. */
  tokenLifetimeMs: number;
  renewBeforeMs: number;
  requestTimeoutMs: number;
}

/** The current session. */
export interface TokenState {
  token: string;
  /** Expiry, ms since the epoch (from the JWT's `exp`, else issue time + the assumed lifetime). */
  expiresAt: number;
}

/** Counts of what the client did, for tests and health. */
export interface AuthStats {
  logins: number;
  renewals: number;
  requests: number;
}

/** Options of one request. */
export interface RequestOptions {
  /** Orders go ahead of queries when the rate limit makes requests wait. */
  lane?: RequestLane;
  /** For unknown-order errors. */
  orderId?: string;
}

/**
 * The ProjectX Gateway REST API: `Auth/loginKey`, renewal through `Auth/validate`
 * before expiry, one re-login on a 401, the shared rate limit, and the
 * `success`/`errorCode`/`errorMessage` envelope turned into typed errors.
 */
export class ProjectXRestClient {
  readonly #options: RestClientOptions;
  #token: TokenState | undefined;
  #renewTimer: Timer | undefined;
  /** One login or renewal at a time: concurrent callers share it. */
  #session: Promise<TokenState> | undefined;
  #closed = false;
  /** Round trip of the last request, ms. */
  lastLatencyMs: number | undefined;
  readonly stats: AuthStats = { logins: 0, renewals: 0, requests: 0 };

  constructor(options: RestClientOptions) {
    this.#options = options;
  }

  /** The session, if logged in. */
  get session(): TokenState | undefined {
    return this.#token;
  }

  /** Logs in unless a valid session exists; returns it. */
  async ensureSession(): Promise<TokenState> {
    const token = this.#token;
    if (token && token.expiresAt > this.#options.clock.now()) return token;
    return this.#login();
  }

  #login(): Promise<TokenState> {
    this.#session ??= (async () => {
      try {
        const body = await this.#envelope<{ token?: string | null }>(
          'Auth/loginKey',
          { userName: this.#options.userName, apiKey: this.#options.apiKey },
          undefined,
          'order',
        );
        if (!body.success) throw asAuth(errorFromEnvelope(body, { endpoint: 'Auth/loginKey' }));
        if (!body.token) throw new BrokerAuthError(BROKER, 'Auth/loginKey: no token in the answer');
        this.stats.logins++;
        return this.#adopt(body.token);
      } finally {
        this.#session = undefined;
      }
    })();
    return this.#session;
  }

  /** Exchanges the current token for a fresh one (`Auth/validate`); logs in when there is none. */
  renew(): Promise<TokenState> {
    const current = this.#token;
    if (!current) return this.#login();
    this.#session ??= (async () => {
      try {
        const body = await this.#envelope<{ newToken?: string | null }>(
          'Auth/validate',
          undefined,
          current.token,
          'order',
        );
        if (!body.success) throw errorFromEnvelope(body, { endpoint: 'Auth/validate' });
        this.stats.renewals++;
        // Some servers answer success without a new token: the current one then stays valid.
        return this.#adopt(body.newToken || current.token);
      } finally {
        this.#session = undefined;
      }
    })();
    return this.#session;
  }

  #adopt(token: string): TokenState {
    const now = this.#options.clock.now();
    const exp = jwtExpiry(token);
    this.#token = { token, expiresAt: exp ?? now + this.#options.tokenLifetimeMs };
    this.#scheduleRenewal(this.#token);
    return this.#token;
  }

  /** Renews `renewBeforeMs` ahead of expiry, but never later than half way through a short lifetime. */
  #scheduleRenewal(token: TokenState): void {
    this.#renewTimer?.cancel();
    if (this.#closed) return;
    const lifetime = token.expiresAt - this.#options.clock.now();
    const delay = Math.max(Math.min(lifetime - this.#options.renewBeforeMs, lifetime / 2), 0);
    this.#renewTimer = this.#options.clock.setTimer(Math.floor(delay), () => {
      this.renew().catch((error: unknown) => {
        // The next request re-logs in on its 401; a failed renewal is not fatal by itself.
        this.#options.logger.warn({ err: describe(error) }, 'projectx token renewal failed');
      });
    });
  }

  /**
   * Sends an authorized request and returns the envelope whatever `success` says
   * (a rejected placement still carries its `orderId`). A 401 gets one fresh login
   * and one resend; a second 401 is an auth error.
   */
  async call<T extends object>(
    endpoint: string,
    body: object | undefined,
    options: RequestOptions = {},
  ): Promise<T & PxEnvelope> {
    const session = await this.ensureSession();
    const lane = options.lane ?? 'query';
    try {
      return await this.#envelope<T>(endpoint, body, session.token, lane, options.orderId);
    } catch (error) {
      if (!(error instanceof BrokerError) || error.code !== ErrorCode.BrokerTokenExpired) throw error;
      this.#options.logger.info({ endpoint }, 'projectx token refused; logging in again');
      this.#token = undefined;
      const fresh = await this.#login();
      try {
        return await this.#envelope<T>(endpoint, body, fresh.token, lane, options.orderId);
      } catch (again) {
        if (again instanceof BrokerError && again.code === ErrorCode.BrokerTokenExpired) {
          throw new BrokerAuthError(BROKER, `${endpoint}: 401 with a fresh token`, { cause: again });
        }
        throw again;
      }
    }
  }

  /** As `call`, but a `success: false` envelope is thrown as its typed error. */
  async request<T extends object>(
    endpoint: string,
    body: object | undefined,
    options: RequestOptions = {},
  ): Promise<T & PxEnvelope> {
    const answer = await this.call<T>(endpoint, body, options);
    if (!answer.success) {
      const context: ErrorContext = { endpoint, ...(options.orderId ? { orderId: options.orderId } : {}) };
      throw errorFromEnvelope(answer, context);
    }
    return answer;
  }

  /** One HTTP exchange within the rate limit; HTTP errors thrown typed, the envelope returned as is. */
  #envelope<T extends object>(
    endpoint: string,
    body: object | undefined,
    token: string | undefined,
    lane: RequestLane,
    orderId?: string,
  ): Promise<T & PxEnvelope> {
    return this.#options.limiter.schedule(lane, async () => {
      const context: ErrorContext = { endpoint, ...(orderId ? { orderId } : {}) };
      const headers: Record<string, string> = {
        accept: 'application/json',
        'content-type': 'application/json',
      };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const started = performance.now();
      this.stats.requests++;
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${this.#options.baseUrl}/api/${endpoint}`, {
          method: 'POST',
          headers,
          // Every Gateway endpoint is a POST with a JSON body, `{}` when it takes none.
          body: JSON.stringify(body ?? {}),
          signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
        });
        text = await response.text();
      } catch (error) {
        throw transportError(error, endpoint, this.#options.requestTimeoutMs);
      }
      this.lastLatencyMs = performance.now() - started;
      if (response.status !== 200) {
        const retryAfterMs = retryAfterOf(response.headers.get('retry-after'), this.#options.clock.now());
        throw errorFromStatus(response.status, text, context, retryAfterMs);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw errorFromStatus(502, `unreadable answer: ${text.slice(0, 80)}`, context);
      }
      if (
        parsed === null ||
        typeof parsed !== 'object' ||
        typeof (parsed as PxEnvelope).success !== 'boolean'
      ) {
        throw errorFromStatus(502, 'answer without the success envelope', context);
      }
      return parsed as T & PxEnvelope;
    });
  }

  /** Stops the renewal timer; the session itself simply expires. */
  close(): void {
    this.#closed = true;
    this.#renewTimer?.cancel();
    this.#renewTimer = undefined;
  }

  /** Re-arms renewal after `close()` (a connection that connects again). */
  open(): void {
    this.#closed = false;
    if (this.#token) this.#scheduleRenewal(this.#token);
  }
}

/** A failed login is an auth failure whatever the code says: retrying the same key will not help. */
function asAuth(error: BrokerError): BrokerError {
  return error.code === ErrorCode.BrokerAuth ? error : new BrokerAuthError(BROKER, error.message);
}

/** The `exp` of a JWT, in ms, when the token is one; undefined otherwise. Never logs the token. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** An error's message without its stack, for logs. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
