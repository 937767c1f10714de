import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createToken, type Scope } from '../../src/api/tokens.js';
import { type CliProcess, startCli, waitFor } from '../services/cli-process.js';

/** A signing key for tests: 48 random-looking bytes of text. */
export const TEST_KEY_TEXT = 'test-signing-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const TEST_KEY = new TextEncoder().encode(TEST_KEY_TEXT);

/** A started `tradenova … --api 127.0.0.1:0` process and where its API is. */
export interface ApiProcess {
  cli: CliProcess;
  /** `http://127.0.0.1:P` */
  base: string;
  /** The folder it runs in (its embedded journal is under `.tradenova/`). */
  cwd: string;
  stop(): Promise<void>;
}

/** Starts the CLI with `args` plus `--api 127.0.0.1:0` in a fresh folder; resolves once the API listens. */
export async function startWithApi(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ApiProcess> {
  const cwd = mkdtempSync(join(tmpdir(), 'tn-api-'));
  const cli = startCli([...args, '--api', '127.0.0.1:0'], cwd, {
    ...process.env,
    TRADENOVA_API_SIGNING_KEY: TEST_KEY_TEXT,
    ...env,
  });
  const url = await waitFor(
    'the api line',
    () => /api at (http:\/\/\S+)\/v1/.exec(cli.stderr())?.[1],
    60_000,
    () => cli.stderr(),
  );
  return {
    cli,
    base: url,
    cwd,
    async stop() {
      if (cli.child.exitCode === null) cli.child.kill('SIGTERM');
      await cli.exited;
    },
  };
}

/** A token signed with the test key. */
export async function token(scope: Scope, extra: { accounts?: string[]; name?: string; ttlS?: number } = {}) {
  return createToken(TEST_KEY, { scope, ttlS: extra.ttlS ?? 3600, ...extra });
}

/** A JSON request; resolves with status and parsed body. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: res.headers,
  };
}

/** A stream client collecting every message it gets. */
export interface StreamClient {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first message (at or after index `from`) that `match` accepts. */
  next(
    match: (m: Record<string, unknown>) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<Record<string, unknown>>;
}

/** Opens `/v1/stream` with the token in the Authorization header (or `?token=` when `inQuery`). */
export async function openStream(
  base: string,
  tokenText: string,
  options: { since?: number; inQuery?: boolean } = {},
): Promise<StreamClient> {
  const query = new URLSearchParams();
  if (options.since !== undefined) query.set('since', String(options.since));
  if (options.inQuery) query.set('token', tokenText);
  const url = `${base.replace(/^http/, 'ws')}/v1/stream${query.size > 0 ? `?${query}` : ''}`;
  const ws = new WebSocket(url, options.inQuery ? {} : { headers: { authorization: `Bearer ${tokenText}` } });
  const messages: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    // A frame holds one or more JSON lines.
    for (const line of String(data).split('\n')) messages.push(JSON.parse(line) as Record<string, unknown>);
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return {
    ws,
    messages,
    closed,
    next(match, timeoutMs = 20_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.slice(from).find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching stream message in ${timeoutMs} ms (got ${messages.length})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Resolves with the HTTP status a refused WebSocket upgrade got. */
export function refusedUpgrade(
  base: string,
  headers: Record<string, string> = {},
  query = '',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/stream${query}`, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('error', () => {});
  });
}
