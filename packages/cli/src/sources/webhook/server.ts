import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type EngineEvent,
  ErrorCode,
  type InstrumentRegistry,
  type Logger,
  parseSignal,
  SignalError,
  type SignalResult,
  type Source,
  silentLogger,
  type WebhookSourceConfig,
} from '@tradenova/core';
import { CliError } from '../../errors.js';
import { alertToSignal } from './alert.js';

/** A rejection the webhook answered and recorded. */
export type WebhookRejection = Extract<EngineEvent, { type: 'signal-rejected' }>;

/** Settings of one webhook source beyond its config entry. */
export interface WebhookSourceOptions {
  /** Leader account for signals that name none. */
  leaderAccount: string;
  /**
   * Records a refused request as a `signal-rejected` event (into the engine's
   * bus, so sinks and the dashboard see it). Alerts that pass here and fail
   * later in the engine are recorded by the engine itself.
   */
  record: (event: WebhookRejection) => void;
  logger?: Logger;
  instruments?: InstrumentRegistry;
  /** Wall clock, ms (tests may pin it). */
  now?: () => number;
  /**
   * How long a request may take to send its body (ms, default 10 s). Past it the request is
   * answered 408 here and recorded as 408: Node's own request timeout is set later than this,
   * so the status the client receives is always the one recorded.
   */
  bodyTimeoutMs?: number;
}

/** Default of `bodyTimeoutMs`. */
export const WEBHOOK_BODY_TIMEOUT_MS = 10_000;

/** Why a request was refused: the HTTP status, the field at fault, and words for a person. */
class Refusal {
  constructor(
    readonly status: number,
    readonly field: string,
    readonly message: string,
    readonly code: string = ErrorCode.WebhookRejected,
  ) {}
}

/**
 * The webhook source: an HTTP server (node:http) on `host:port` that takes
 * TradingView-style JSON alerts posted to `path`, checks the shared token in
 * constant time, turns each alert into a leader signal and hands it to the
 * engine. Answers 202 as soon as the alert is valid (TradingView waits only a
 * few seconds); everything else gets a clear status and a recorded event:
 * 404 other paths, 405 other methods, 415 other content types, 413 bodies over
 * `maxBodyBytes`, 400 bad JSON or a bad field (named), 401 a missing or wrong token.
 */
export class WebhookSource implements Source {
  readonly name: string;
  readonly #config: WebhookSourceConfig;
  readonly #options: WebhookSourceOptions;
  readonly #logger: Logger;
  /** SHA-256 of the token: equal-length buffers for `timingSafeEqual`, whatever length is sent. */
  readonly #tokenDigest: Buffer;
  #server: Server | undefined;
  #submit: ((signal: unknown) => Promise<SignalResult>) | undefined;
  #sequence = 0;
  readonly #inFlight = new Set<Promise<unknown>>();

  get #bodyTimeoutMs(): number {
    return this.#options.bodyTimeoutMs ?? WEBHOOK_BODY_TIMEOUT_MS;
  }

  constructor(config: WebhookSourceConfig, options: WebhookSourceOptions) {
    this.#config = config;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#tokenDigest = digest(config.token);
    this.name = `webhook:${config.port}${config.path}`;
  }

  /** The address it listens on, once started (the real port when the config said 0). */
  get address(): { host: string; port: number; url: string } {
    const info = this.#server?.address() as AddressInfo | null | undefined;
    if (!info) throw new Error('webhook source: not started');
    const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
    return { host: info.address, port: info.port, url: `http://${host}:${info.port}${this.#config.path}` };
  }

  async start(submit: (signal: unknown) => Promise<SignalResult>): Promise<void> {
    this.#submit = submit;
    const server = createServer((req, res) => this.#handle(req, res));
    // Slow or idle clients must not hold sockets: a whole alert arrives in well under these.
    // Later than the body timer, so a slow body is answered (and recorded) by this source, never by Node.
    server.requestTimeout = this.#bodyTimeoutMs + 5_000;
    server.headersTimeout = 5_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new CliError(
            `sources: webhook cannot listen on ${this.#config.host}:${this.#config.port}: ${error.code ?? error.message}`,
          ),
        ),
      );
      server.listen(this.#config.port, this.#config.host, () => resolve());
    });
    this.#server = server;
    this.#logger.info({ url: this.address.url }, 'webhook source listening');
  }

  /** Stops taking alerts, then waits for those already handed to the engine. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    }
    await Promise.allSettled([...this.#inFlight]);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.#accept(req)
      .then(({ signal }) => {
        const submit = this.#submit;
        if (!submit) throw new Refusal(503, '(source)', 'not accepting alerts (shutting down)');
        // The engine records its own outcome events (and a signal-rejected if it refuses it later).
        const done = submit(signal).catch((error: unknown) =>
          this.#logger.error({ err: error }, 'webhook: engine failed on an alert'),
        );
        this.#inFlight.add(done);
        void done.finally(() => this.#inFlight.delete(done));
        reply(res, 202, { ok: true, signalId: signal.signalId });
      })
      .catch((error: unknown) => {
        const refusal =
          error instanceof Refusal
            ? error
            : error instanceof SignalError
              ? new Refusal(400, error.field, error.reason, error.code)
              : new Refusal(500, '(source)', 'internal error');
        if (!(error instanceof Refusal) && !(error instanceof SignalError)) {
          this.#logger.error({ err: error }, 'webhook: request failed');
        }
        this.#refuse(req, res, refusal);
      });
  }

  /** Checks one request in order (path, method, type, size, token, JSON, fields) and returns its signal. */
  async #accept(req: IncomingMessage): Promise<{ signal: Record<string, unknown> & { signalId: string } }> {
    const path = (req.url ?? '/').split('?')[0];
    // The path asked for is not echoed: it is attacker-chosen text and may carry the token.
    if (path !== this.#config.path) throw new Refusal(404, 'path', 'no webhook at this path');
    if (req.method !== 'POST')
      throw new Refusal(405, 'method', `${req.method ?? '?'} is not allowed; POST the alert`);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    // TradingView posts application/json when the alert message is JSON and text/plain otherwise.
    if (type !== 'application/json' && type !== 'text/plain') {
      throw new Refusal(415, 'content-type', `${type || 'no content type'}: send application/json`);
    }
    const headerToken = tokenFromHeaders(req);
    if (headerToken !== undefined && !this.#tokenMatches(headerToken)) {
      throw new Refusal(401, 'token', 'bad token');
    }
    const text = await readBody(req, this.#config.maxBodyBytes, this.#bodyTimeoutMs);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      // V8's message quotes the body, which may hold the token: keep only the position.
      const at = /position (\d+)/.exec((error as Error).message)?.[1];
      throw new Refusal(
        400,
        '(body)',
        `not valid JSON${at ? ` (at character ${at})` : ''}`,
        ErrorCode.SignalInvalid,
      );
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new Refusal(400, '(body)', 'expected a JSON object', ErrorCode.SignalInvalid);
    }
    const { token, ...alert } = body as Record<string, unknown>;
    if (headerToken === undefined) {
      if (token === undefined)
        throw new Refusal(
          401,
          'token',
          'missing token (a "token" field, or an Authorization: Bearer header)',
        );
      if (typeof token !== 'string' || !this.#tokenMatches(token))
        throw new Refusal(401, 'token', 'bad token');
    }
    const now = (this.#options.now ?? Date.now)();
    const raw = alertToSignal(alert, {
      now,
      sequence: ++this.#sequence,
      ...(this.#options.instruments ? { instruments: this.#options.instruments } : {}),
    });
    // Checked here, not only in the engine, so the sender learns the bad field in the answer.
    parseSignal(raw, { leaderAccount: this.#options.leaderAccount, now });
    return { signal: { ...raw, signalId: String(raw.signalId), receivedAt: now } };
  }

  #redact(text: string): string {
    const token = this.#config.token;
    const pattern = new RegExp(token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
    return text.replace(pattern, '[redacted]');
  }

  #tokenMatches(given: string): boolean {
    return timingSafeEqual(digest(given), this.#tokenDigest);
  }

  #refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
    const from = req.socket.remoteAddress ?? '?';
    // A field's error may quote the alert's own text; should a sender paste the token there, it is cut out (in any case).
    const reason = this.#redact(refusal.message);
    const message = `webhook ${refusal.status}: ${reason} (${truncate(req.method ?? '?')} from ${from})`;
    this.#logger.warn({ status: refusal.status, field: refusal.field, from }, 'webhook: request refused');
    this.#options.record({
      type: 'signal-rejected',
      time: (this.#options.now ?? Date.now)(),
      field: refusal.field,
      code: refusal.code,
      message,
    });
    const headers: Record<string, string> = refusal.status === 405 ? { allow: 'POST' } : {};
    if (refusal.status === 401) headers['www-authenticate'] = 'Bearer';
    // A body refused unread (too large, wrong path) is not read on: answer, then close the connection.
    const unread = !req.complete;
    if (unread) headers.connection = 'close';
    reply(
      res,
      refusal.status,
      { ok: false, status: refusal.status, field: refusal.field, error: reason },
      headers,
    );
    if (unread) res.once('finish', () => req.destroy());
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function tokenFromHeaders(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^bearer /i.test(auth)) return auth.slice(7).trim();
  const header = req.headers['x-tradenova-token'];
  return typeof header === 'string' ? header : undefined;
}

/** Reads the body up to `limit` bytes; a declared or actual size above it is a 413. */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new Refusal(413, 'body', `${declared} bytes is more than the ${limit} allowed`));
  }
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Refusal(408, 'body', `the body did not arrive within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const settle = () => clearTimeout(timer);
    req.once('end', settle);
    req.once('error', settle);
    req.once('close', settle);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(new Refusal(413, 'body', `more than the ${limit} bytes allowed`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => reject(error));
  });
}

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
