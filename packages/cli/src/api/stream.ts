import type { EngineEvent } from '@tradenova/core';
import type { WebSocket } from 'ws';
import type { FollowerRef } from './backend.js';
import { ApiErrorCode } from './errors.js';
import type { EventRing, Sequenced } from './event-ring.js';
import { describeIssues, streamMessageSchema } from './schemas.js';
import { covers, visibleEvent } from './scope.js';
import type { Principal } from './tokens.js';

/** Close codes of `/v1/stream` (4000–4999 are the application's). */
export const StreamClose = {
  /** The client read too slowly: its buffer passed the limit. */
  SlowClient: 4001,
  /** No pong within the heartbeat interval. */
  NoPong: 4002,
  /** The token expired or was revoked while connected. */
  TokenEnded: 4003,
  /** The server is shutting down. */
  GoingAway: 1001,
  /** Too many clients: try again later. */
  TryLater: 1013,
} as const;

/** Events per text frame at most, so a burst or a long replay is not one huge frame. */
const MAX_LINES_PER_FRAME = 500;

/** Limits of one stream client. */
export interface StreamLimits {
  /** Bytes queued on a client's socket past which it is dropped (default 1 MiB). */
  maxBufferedBytes: number;
  /** Ping interval; a client that has not answered the previous ping is dropped (default 15 s). */
  heartbeatMs: number;
  /** How long a closed client may take to read its close frame before its socket is cut (default 5 s). */
  closeGraceMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxBufferedBytes: 1 << 20,
  heartbeatMs: 15_000,
  closeGraceMs: 5_000,
};

/**
 * Serves one WebSocket client: a `hello` with the latest sequence number, then the events
 * its token and its subscription let it see, each as a JSON line `{"seq":N,…event}`; a text
 * frame holds one or more lines (the events of one turn of the event loop). `since` (query) or
 * a `{"resume":N}` message replays what it missed, or answers `resync` when the ring no
 * longer holds it. Sending never waits: a client whose socket buffer passes the limit is
 * closed with 4001, so a slow reader costs the engine nothing.
 */
export function serveStreamClient(
  socket: WebSocket,
  options: {
    ring: EventRing;
    principal: Principal;
    followers: readonly FollowerRef[];
    since?: number;
    limits: StreamLimits;
    /** Still allowed (not revoked, not expired)? Checked at each heartbeat. */
    stillValid: () => Promise<boolean>;
  },
): { close(code: number, reason: string): void } {
  const { ring, principal, limits } = options;
  // The token's own accounts, as follower names; absent for a token of every account.
  const tokenNames = principal.accounts
    ? new Set(options.followers.filter((f) => covers(principal, f)).map((f) => f.name))
    : undefined;
  let names = tokenNames;
  let types: ReadonlySet<string> | undefined;
  let closed = false;
  let alive = true;

  const send = (text: string): void => {
    if (closed) return;
    if (socket.bufferedAmount > limits.maxBufferedBytes) {
      close(StreamClose.SlowClient, 'slow client: buffer limit passed');
      return;
    }
    socket.send(text);
  };
  // The last sequence number handed to this client: a replay and the next live batch may overlap.
  let sent = 0;
  /** The line of one entry as this client may see it, or undefined. */
  const lineOf = (entry: Sequenced): string | undefined => {
    if (entry.seq <= sent) return undefined;
    sent = entry.seq;
    if (types && !types.has(entry.event.type)) return undefined;
    if (!names) return entry.text();
    const seen = visibleEvent(entry.event, names);
    if (!seen) return undefined;
    return seen === entry.event ? entry.text() : JSON.stringify({ seq: entry.seq, ...seen });
  };
  // A batch goes out as frames of up to 500 JSON lines: a write per client per batch, not per event.
  const deliver = (batch: readonly Sequenced[]): void => {
    let lines: string[] = [];
    for (const entry of batch) {
      const line = lineOf(entry);
      if (line === undefined) continue;
      lines.push(line);
      if (lines.length === MAX_LINES_PER_FRAME) {
        send(lines.join('\n'));
        lines = [];
      }
    }
    if (lines.length > 0) send(lines.join('\n'));
  };
  const replay = (seq: number): void => {
    const missed = ring.since(seq);
    if (!missed) {
      send(JSON.stringify({ type: 'resync', from: seq, oldest: ring.oldest, latest: ring.latest }));
      return;
    }
    deliver(missed);
  };

  send(JSON.stringify({ type: 'hello', latest: ring.latest, oldest: ring.oldest, tokenId: principal.id }));
  // Without `since` the client starts with what comes next.
  sent = ring.latest;
  if (options.since !== undefined) {
    sent = Math.min(sent, options.since);
    replay(options.since);
  }
  const off = ring.listen(deliver);

  const heartbeat = setInterval(() => {
    if (!alive) {
      close(StreamClose.NoPong, 'no pong');
      return;
    }
    alive = false;
    socket.ping();
    void options.stillValid().then(
      (ok) => {
        if (!ok) close(StreamClose.TokenEnded, 'token expired or revoked');
      },
      () => {},
    );
  }, limits.heartbeatMs);
  heartbeat.unref();
  socket.on('pong', () => {
    alive = true;
  });

  socket.on('message', (data, isBinary) => {
    alive = true;
    if (isBinary) return reply({ type: 'error', code: ApiErrorCode.Invalid, message: 'send JSON text' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(data));
    } catch {
      return reply({ type: 'error', code: ApiErrorCode.Invalid, message: 'not valid JSON' });
    }
    if (typeof parsed === 'object' && parsed !== null && 'ping' in parsed) return reply({ type: 'pong' });
    const message = streamMessageSchema.safeParse(parsed);
    if (!message.success)
      return reply({ type: 'error', code: ApiErrorCode.Invalid, message: describeIssues(message.error) });
    if ('resume' in message.data) {
      sent = Math.min(sent, message.data.resume);
      return replay(message.data.resume);
    }
    const { types: wanted, accounts } = message.data.subscribe;
    types = wanted && wanted.length > 0 ? new Set(wanted) : undefined;
    if (accounts && accounts.length > 0) {
      const asked = options.followers.filter(
        (f) => accounts.includes(f.name) || accounts.includes(f.account),
      );
      const outside = asked.filter((f) => tokenNames && !tokenNames.has(f.name));
      if (outside.length > 0)
        return reply({
          type: 'error',
          code: ApiErrorCode.Forbidden,
          message: `this token is not for ${outside.map((f) => f.name).join(', ')}`,
        });
      names = new Set(asked.map((f) => f.name));
    } else names = tokenNames;
    reply({
      type: 'subscribed',
      types: types ? [...types] : 'all',
      accounts: names ? [...names] : 'all',
    });
  });

  function reply(value: Record<string, unknown>): void {
    send(JSON.stringify(value));
  }
  function close(code: number, reason: string): void {
    if (closed) return;
    closed = true;
    off();
    clearInterval(heartbeat);
    socket.close(code, reason);
    // A client that never reads its close frame is cut off: its socket must not linger.
    setTimeout(() => socket.terminate(), limits.closeGraceMs).unref();
  }
  socket.on('close', () => {
    closed = true;
    off();
    clearInterval(heartbeat);
  });
  socket.on('error', () => close(StreamClose.GoingAway, 'socket error'));
  return { close };
}

/** Publishes every backend event into the ring (the engine's listener: O(1), never blocks). */
export function feedRing(
  ring: EventRing,
  onEvent: (listener: (e: EngineEvent) => void) => () => void,
): () => void {
  return onEvent((event) => {
    ring.publish(event);
  });
}
