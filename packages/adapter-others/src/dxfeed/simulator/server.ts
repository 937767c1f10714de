/** The dxLink WebSocket server behind `startDxLinkSimulator`. */
import type { AddressInfo } from 'node:net';
import { createRng } from '@tradenova/core';
import { type WebSocket, WebSocketServer } from 'ws';

/** Options of `startDxLinkSimulator`. */
export interface DxLinkSimulatorOptions {
  /** TCP port on 127.0.0.1; a free one when absent. */
  port?: number;
  /** URL path of the endpoint (default `/`). */
  path?: string;
  /** When set, AUTH must carry this token; otherwise every client is authorized at once. */
  token?: string;
  /** The server's keepalive timeout in seconds, announced in SETUP and enforced (default 60). */
  keepaliveTimeoutSeconds?: number;
  /**
   * Starts a random walk for every symbol the first time a client subscribes to it
   * (`tradenova sim dxfeed`), from `start(symbol)` in steps of `tick(symbol)`.
   * Without it, prices move only on `publish` / `randomWalk`.
   */
  walkOnSubscribe?: {
    start: (symbol: string) => number;
    tick: (symbol: string) => number;
    intervalMs?: number;
    seed?: number;
  };
}

/** One price update for a symbol; absent fields keep their last value. */
export interface DxLinkPrice {
  bid?: number;
  ask?: number;
  last?: number;
  size?: number;
}

/** A running dxLink simulator. */
export interface DxLinkSimulator {
  readonly port: number;
  /** `ws://127.0.0.1:<port><path>`. */
  readonly url: string;
  /** Publishes a Quote (when bid/ask given) and a Trade (when last given) to subscribers of `symbol`. */
  publish(symbol: string, price: DxLinkPrice): void;
  /** Starts a seeded random walk for `symbol` from `start`, stepping `tick` every `intervalMs`. */
  randomWalk(
    symbol: string,
    options: { start: number; tick: number; intervalMs?: number; seed?: number },
  ): () => void;
  /** Symbols some client subscribed to, by event type. */
  subscriptions(): { type: string; symbol: string }[];
  faults: {
    /** Closes every client connection at once. */
    dropConnections(): void;
    /** While on, the server sends nothing at all (no data, no keepalives): a silent feed. */
    silence(on: boolean): void;
  };
  /** Messages received from clients, oldest first (tests). */
  readonly received: Record<string, unknown>[];
  close(): Promise<void>;
}

interface Channel {
  format: 'COMPACT' | 'FULL';
  fields: Record<string, string[]>;
  announced: Set<string>;
  subs: Set<string>;
}

/**
 * Fields of whole-number types (times, sequences, flags): with no value the protocol sends
 * 0. Every other field is a double (prices, sizes), sent as the string "NaN" when it has no
 * value, since JSON has no NaN (JSON.stringify would write null).
 */
const INTEGER_FIELDS = new Set([
  'eventTime',
  'time',
  'timeNanoPart',
  'sequence',
  'bidTime',
  'askTime',
  'dayId',
  'eventFlags',
  'index',
]);

/** A field's value on the wire: doubles that are not finite as dxLink's strings, a missing one as the protocol sends it. */
function wireValue(field: string, value: unknown): unknown {
  if (value === undefined || value === null) return INTEGER_FIELDS.has(field) ? 0 : 'NaN';
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  return value;
}

const DEFAULT_FIELDS: Record<string, string[]> = {
  Quote: ['eventType', 'eventSymbol', 'bidPrice', 'askPrice', 'bidSize', 'askSize'],
  Trade: ['eventType', 'eventSymbol', 'price', 'size', 'time'],
};

/** Starts a dxLink server on loopback. */
export async function startDxLinkSimulator(options: DxLinkSimulatorOptions = {}): Promise<DxLinkSimulator> {
  const path = options.path ?? '/';
  const keepaliveTimeout = options.keepaliveTimeoutSeconds ?? 60;
  const server = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0, path });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const clients = new Map<
    WebSocket,
    {
      channels: Map<number, Channel>;
      authorized: boolean;
      /** The last AUTH_STATE sent: AUTHORIZED goes out once, as the official client re-requests every channel on each. */
      announced?: 'AUTHORIZED' | 'UNAUTHORIZED';
      lastIn: number;
      timer: NodeJS.Timeout;
    }
  >();
  const last = new Map<string, Required<DxLinkPrice>>();
  const received: Record<string, unknown>[] = [];
  const walks = new Set<NodeJS.Timeout>();
  let silent = false;

  const send = (ws: WebSocket, message: Record<string, unknown>) => {
    if (!silent && ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  const emit = (type: 'Quote' | 'Trade', symbol: string, values: Record<string, unknown>) => {
    for (const [ws, client] of clients) {
      for (const [id, channel] of client.channels) {
        if (!channel.subs.has(`${type}\u0000${symbol}`)) continue;
        const fields = channel.fields[type] ?? DEFAULT_FIELDS[type]!;
        if (!channel.announced.has(type)) {
          // FEED_CONFIG announces a type's field order before its first data.
          channel.announced.add(type);
          send(ws, {
            type: 'FEED_CONFIG',
            channel: id,
            dataFormat: channel.format,
            aggregationPeriod: 0.1,
            eventFields: channel.fields,
          });
        }
        const event: Record<string, unknown> = { eventType: type, eventSymbol: symbol, ...values };
        // Every field the channel accepts, in its order; one with no value as the protocol sends it.
        const data =
          channel.format === 'COMPACT'
            ? [type, fields.map((f) => wireValue(f, event[f]))]
            : [
                Object.fromEntries([
                  ['eventType', type],
                  ['eventSymbol', symbol],
                  ...fields.map((f) => [f, wireValue(f, event[f])]),
                ]),
              ];
        send(ws, { type: 'FEED_DATA', channel: id, data });
      }
    }
  };

  const publish = (symbol: string, price: DxLinkPrice) => {
    const p = { bid: Number.NaN, ask: Number.NaN, last: Number.NaN, size: 1, ...last.get(symbol), ...price };
    last.set(symbol, p);
    if (price.bid !== undefined || price.ask !== undefined) {
      emit('Quote', symbol, { bidPrice: p.bid, askPrice: p.ask, bidSize: p.size, askSize: p.size });
    }
    if (price.last !== undefined) emit('Trade', symbol, { price: p.last, size: p.size, time: Date.now() });
  };

  /** Symbols that already have an automatic walk. */
  const walking = new Set<string>();
  function walk(symbol: string, o: { start: number; tick: number; intervalMs?: number; seed?: number }) {
    const rng = createRng(o.seed ?? 1);
    // The walk counts in whole ticks, so the published price is an exact multiple of the tick.
    const startTicks = Math.round(o.start / o.tick);
    let ticks = startTicks;
    const timer = setInterval(() => {
      ticks += Math.floor(rng() * 5) - 2;
      const price = ticks * o.tick;
      publish(symbol, { bid: price, ask: (ticks + 1) * o.tick, last: price });
    }, o.intervalMs ?? 100);
    walks.add(timer);
    return () => {
      clearInterval(timer);
      walks.delete(timer);
    };
  }

  const announce = (
    ws: WebSocket,
    client: { announced?: 'AUTHORIZED' | 'UNAUTHORIZED' },
    state: 'AUTHORIZED' | 'UNAUTHORIZED',
  ) => {
    client.announced = state;
    send(ws, { type: 'AUTH_STATE', channel: 0, state });
  };

  server.on('connection', (ws) => {
    const client: {
      channels: Map<number, Channel>;
      authorized: boolean;
      announced?: 'AUTHORIZED' | 'UNAUTHORIZED';
      lastIn: number;
      timer: NodeJS.Timeout;
    } = {
      channels: new Map<number, Channel>(),
      authorized: options.token === undefined,
      lastIn: Date.now(),
      timer: setInterval(
        () => {
          // Keepalive both ways: ours at half the client's timeout, and a silent client is closed.
          if (Date.now() - client.lastIn > keepaliveTimeout * 1000) {
            send(ws, { type: 'ERROR', channel: 0, error: 'TIMEOUT', message: 'no keepalive' });
            ws.close();
            return;
          }
          send(ws, { type: 'KEEPALIVE', channel: 0 });
        },
        Math.max(50, (keepaliveTimeout * 1000) / 2),
      ),
    };
    clients.set(ws, client);
    ws.on('close', () => {
      clearInterval(client.timer);
      clients.delete(ws);
    });
    ws.on('message', (raw, isBinary) => {
      client.lastIn = Date.now();
      if (isBinary) {
        send(ws, {
          type: 'ERROR',
          channel: 0,
          error: 'INVALID_MESSAGE',
          message: 'binary frames are not allowed',
        });
        return;
      }
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(String(raw)) as Record<string, unknown>;
      } catch {
        send(ws, { type: 'ERROR', channel: 0, error: 'INVALID_MESSAGE', message: 'not JSON' });
        return;
      }
      // `null`, a number or an array parse as JSON too; reading their fields threw in this handler (found by fuzzing).
      if (typeof m !== 'object' || m === null || Array.isArray(m)) {
        send(ws, { type: 'ERROR', channel: 0, error: 'INVALID_MESSAGE', message: 'not a JSON object' });
        return;
      }
      received.push(m);
      const channel = Number(m.channel ?? 0);
      switch (m.type) {
        case 'SETUP':
          send(ws, {
            type: 'SETUP',
            channel: 0,
            version: '0.1-TN-SIM/0.1.0',
            keepaliveTimeout,
            acceptKeepaliveTimeout: keepaliveTimeout,
          });
          if (!client.announced) announce(ws, client, client.authorized ? 'AUTHORIZED' : 'UNAUTHORIZED');
          break;
        case 'AUTH':
          // A token is checked only where one is required; an authorized session stays so.
          if (options.token !== undefined && !client.authorized)
            client.authorized = m.token === options.token;
          // AUTHORIZED once per connection; a refused token is answered every time.
          if (!client.authorized) announce(ws, client, 'UNAUTHORIZED');
          else if (client.announced !== 'AUTHORIZED') announce(ws, client, 'AUTHORIZED');
          break;
        case 'KEEPALIVE':
          break;
        case 'CHANNEL_REQUEST':
          if (!client.authorized) {
            send(ws, { type: 'ERROR', channel, error: 'UNAUTHORIZED', message: 'authorize first' });
          } else if (m.service !== 'FEED') {
            send(ws, {
              type: 'ERROR',
              channel,
              error: 'BAD_ACTION',
              message: `unknown service ${String(m.service)}`,
            });
            send(ws, { type: 'CHANNEL_CLOSED', channel });
          } else {
            client.channels.set(channel, {
              format: 'FULL',
              fields: { ...DEFAULT_FIELDS },
              announced: new Set(),
              subs: new Set(),
            });
            send(ws, { type: 'CHANNEL_OPENED', channel, service: 'FEED', parameters: m.parameters ?? {} });
          }
          break;
        case 'CHANNEL_CANCEL':
          client.channels.delete(channel);
          send(ws, { type: 'CHANNEL_CLOSED', channel });
          break;
        case 'FEED_SETUP': {
          const c = client.channels.get(channel);
          if (!c) break;
          if (m.acceptDataFormat === 'COMPACT' || m.acceptDataFormat === 'FULL')
            c.format = m.acceptDataFormat;
          const accept = (m.acceptEventFields ?? {}) as Record<string, string[]>;
          for (const [type, fields] of Object.entries(accept)) c.fields[type] = fields;
          c.announced.clear();
          send(ws, {
            type: 'FEED_CONFIG',
            channel,
            dataFormat: c.format,
            aggregationPeriod: Number(m.acceptAggregationPeriod ?? 0.1),
            eventFields: c.fields,
          });
          break;
        }
        case 'FEED_SUBSCRIPTION': {
          const c = client.channels.get(channel);
          if (!c) break;
          if (m.reset === true) c.subs.clear();
          for (const s of subscriptionsOf(m.remove)) c.subs.delete(`${s.type}\u0000${s.symbol}`);
          for (const s of subscriptionsOf(m.add)) {
            c.subs.add(`${s.type}\u0000${s.symbol}`);
            const auto = options.walkOnSubscribe;
            if (auto && !walking.has(s.symbol)) {
              walking.add(s.symbol);
              const start = auto.start(s.symbol);
              publish(s.symbol, { bid: start, ask: start + auto.tick(s.symbol), last: start });
              walk(s.symbol, {
                start,
                tick: auto.tick(s.symbol),
                ...(auto.intervalMs !== undefined ? { intervalMs: auto.intervalMs } : {}),
                seed: (auto.seed ?? 1) + walking.size,
              });
            }
            // A TICKER subscription starts with the latest value, as the real service sends one.
            const p = last.get(s.symbol);
            if (p && s.type === 'Quote' && Number.isFinite(p.bid))
              emit('Quote', s.symbol, { bidPrice: p.bid, askPrice: p.ask, bidSize: p.size, askSize: p.size });
            if (p && s.type === 'Trade' && Number.isFinite(p.last))
              emit('Trade', s.symbol, { price: p.last, size: p.size, time: Date.now() });
          }
          break;
        }
        default:
          send(ws, {
            type: 'ERROR',
            channel,
            error: 'UNSUPPORTED_PROTOCOL',
            message: `unknown message ${String(m.type)}`,
          });
      }
    });
  });

  return {
    port,
    url: `ws://127.0.0.1:${port}${path}`,
    publish,
    randomWalk: walk,
    subscriptions: () => {
      const out: { type: string; symbol: string }[] = [];
      for (const client of clients.values())
        for (const c of client.channels.values())
          for (const key of c.subs) {
            const [type, symbol] = key.split('\u0000') as [string, string];
            out.push({ type, symbol });
          }
      return out;
    },
    faults: {
      dropConnections: () => {
        for (const ws of clients.keys()) ws.terminate();
      },
      silence: (on) => {
        silent = on;
      },
    },
    received,
    close: async () => {
      for (const t of walks) clearInterval(t);
      for (const ws of clients.keys()) ws.terminate();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The `{type, symbol}` entries of a FEED_SUBSCRIPTION list; anything else in it is ignored. */
function subscriptionsOf(list: unknown): { type: string; symbol: string }[] {
  if (!Array.isArray(list)) return [];
  return list.filter(
    (s): s is { type: string; symbol: string } =>
      typeof s === 'object' && s !== null && typeof s.type === 'string' && typeof s.symbol === 'string',
  );
}
