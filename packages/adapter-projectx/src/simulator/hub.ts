import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { RECORD_SEPARATOR } from '../wire.js';
import type { HubEventShape } from './faults.js';

/** Who a hub connection belongs to. */
export interface HubUser {
  name: string;
}

/** Settings of the simulated user hub. */
export interface HubServerOptions {
  /** Server → client Ping period (ASP.NET Core default 15 s). */
  pingIntervalMs: number;
  /** Drop a client silent for this long (ASP.NET Core default 30 s). */
  clientTimeoutMs: number;
  /** The event argument shape, read at send time so a test can switch it. */
  shape: () => HubEventShape;
}

interface HubClient {
  socket: WebSocket;
  user: HubUser;
  handshaken: boolean;
  buffer: string;
  lastSeen: number;
  accounts: boolean;
  orders: Set<number>;
  positions: Set<number>;
  trades: Set<number>;
}

/** Hub methods and the number of arguments each takes (§7.2). */
const METHODS: Readonly<Record<string, 0 | 1>> = {
  SubscribeAccounts: 0,
  UnsubscribeAccounts: 0,
  SubscribeOrders: 1,
  UnsubscribeOrders: 1,
  SubscribePositions: 1,
  UnsubscribePositions: 1,
  SubscribeTrades: 1,
  UnsubscribeTrades: 1,
};

/** Which subscription an event target needs. */
export type HubTopic = 'accounts' | 'orders' | 'positions' | 'trades';

/**
 * The ProjectX user hub, speaking the SignalR JSON hub protocol by hand (§8):
 * negotiate (v0 and v1) and the skipNegotiation path, the handshake, records
 * ended by 0x1E (several per frame, or split across frames), Completions for
 * invocations that carry an id, Pings both ways, Close with `allowReconnect`,
 * and per-connection subscriptions that a reconnect does not keep.
 */
export class SimulatedUserHub {
  readonly #options: HubServerOptions;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #clients = new Set<HubClient>();
  /** Negotiated connections not opened yet: connectionToken (or id) → user; and the ones in use. */
  readonly #negotiated = new Map<string, HubUser>();
  readonly #inUse = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  #lastPingAt = 0;
  /** Connections accepted so far (for tests). */
  connections = 0;

  constructor(options: HubServerOptions) {
    this.#options = options;
    const tick = Math.max(20, Math.min(1_000, Math.floor(options.pingIntervalMs / 2)));
    this.#timer = setInterval(() => this.#tick(), tick);
    this.#timer.unref();
  }

  /** Clients connected and past the handshake. */
  get clientCount(): number {
    return [...this.#clients].filter((c) => c.handshaken).length;
  }

  /** The negotiate answer (§8.1) for an authenticated user. */
  negotiate(user: HubUser, version: number): object {
    const connectionId = randomUUID();
    const transports = [{ transport: 'WebSockets', transferFormats: ['Text', 'Binary'] }];
    if (version >= 1) {
      const connectionToken = randomUUID();
      this.#negotiated.set(connectionToken, user);
      return { negotiateVersion: 1, connectionId, connectionToken, availableTransports: transports };
    }
    this.#negotiated.set(connectionId, user);
    return { negotiateVersion: 0, connectionId, availableTransports: transports };
  }

  /**
   * Takes over an upgrade at `/hubs/user`. `id` names a negotiated connection (404
   * when unknown, 409 when already open); without it `user` (from the token) opens
   * a new one, as skipNegotiation clients do.
   */
  upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    id: string | null,
    user: HubUser | undefined,
  ): void {
    let owner = user;
    if (id !== null) {
      if (this.#inUse.has(id)) {
        refuse(socket, 409, 'Conflict');
        return;
      }
      owner = this.#negotiated.get(id);
      if (!owner) {
        refuse(socket, 404, 'Not Found');
        return;
      }
      this.#negotiated.delete(id);
      this.#inUse.add(id);
    }
    if (!owner) {
      refuse(socket, 401, 'Unauthorized');
      return;
    }
    const who = owner;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const client: HubClient = {
        socket: ws,
        user: who,
        handshaken: false,
        buffer: '',
        lastSeen: Date.now(),
        accounts: false,
        orders: new Set(),
        positions: new Set(),
        trades: new Set(),
      };
      this.#clients.add(client);
      this.connections++;
      ws.on('message', (data, isBinary) => this.#onData(client, isBinary ? '' : data.toString()));
      ws.on('close', () => {
        this.#clients.delete(client);
        if (id !== null) this.#inUse.delete(id);
      });
      ws.on('error', () => ws.terminate());
    });
  }

  /** Sends an event to every client subscribed to `topic` for `accountId` (any account for `accounts`). */
  publish(topic: HubTopic, accountId: number, target: string, entity: object, action = 1): void {
    const argument = this.#options.shape() === 'wrapped' ? { action, data: entity } : entity;
    const record = frame({ type: 1, target, arguments: [argument] });
    for (const client of this.#clients) {
      if (!client.handshaken) continue;
      const wanted = topic === 'accounts' ? client.accounts : client[topic].has(accountId);
      if (wanted) send(client, record);
    }
  }

  /** Cuts every connection without a Close message (a network failure). */
  dropAll(): void {
    for (const c of this.#clients) c.socket.terminate();
  }

  /** Sends Close (`allowReconnect: true`) to every connection and closes it (a server going away). */
  closeAll(error: string): void {
    for (const c of this.#clients) {
      send(c, frame({ type: 7, error, allowReconnect: true }));
      c.socket.close(1000);
    }
  }

  /** Stops the hub. */
  close(): void {
    clearInterval(this.#timer);
    this.dropAll();
    this.#wss.close();
  }

  #onData(client: HubClient, text: string): void {
    client.lastSeen = Date.now();
    client.buffer += text;
    // A frame may hold several records, and a record may be split across frames.
    let end = client.buffer.indexOf(RECORD_SEPARATOR);
    while (end >= 0) {
      const record = client.buffer.slice(0, end);
      client.buffer = client.buffer.slice(end + 1);
      this.#onRecord(client, record);
      end = client.buffer.indexOf(RECORD_SEPARATOR);
    }
  }

  #onRecord(client: HubClient, record: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(record) as Record<string, unknown>;
    } catch {
      client.socket.close(1002);
      return;
    }
    // `null`, a number or an array parse too; reading their fields threw in this handler (found by fuzzing).
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      client.socket.close(1002);
      return;
    }
    if (!client.handshaken) {
      if (message.protocol === 'json' && message.version === 1) {
        client.handshaken = true;
        send(client, frame({}));
      } else {
        // Anything but a json handshake first: refuse and close (§8.3).
        const protocol = typeof message.protocol === 'string' ? message.protocol : '';
        send(client, frame({ error: `Requested protocol '${protocol}' is not available.` }));
        client.socket.close(1000);
      }
      return;
    }
    switch (message.type) {
      case 1:
        this.#onInvocation(client, message);
        return;
      case 7:
        client.socket.close(1000);
        return;
      default:
        // Ping (6), CancelInvocation (5) and the stateful-reconnect messages need no answer.
        return;
    }
  }

  #onInvocation(client: HubClient, message: Record<string, unknown>): void {
    const target = typeof message.target === 'string' ? message.target : '';
    const args = Array.isArray(message.arguments) ? message.arguments : [];
    const invocationId = typeof message.invocationId === 'string' ? message.invocationId : undefined;
    const reply = (error?: string) => {
      // Fire-and-forget invocations (no id) get no answer (§8.4).
      if (invocationId === undefined) return;
      send(client, frame(error === undefined ? { type: 3, invocationId } : { type: 3, invocationId, error }));
    };
    const arity = METHODS[target];
    if (arity === undefined) {
      reply(`Unknown hub method '${target}'`);
      return;
    }
    if (args.length !== arity) {
      reply(
        `Failed to invoke '${target}' due to an error on the server. InvalidDataException: Invocation provides ${args.length} argument(s) but target expects ${arity}.`,
      );
      return;
    }
    const accountId = args[0];
    if (arity === 1 && (typeof accountId !== 'number' || !Number.isInteger(accountId))) {
      reply(`Failed to invoke '${target}': the account id must be an integer.`);
      return;
    }
    const on = target.startsWith('Subscribe');
    const topic = target.replace(/^(Un)?[Ss]ubscribe/, '').toLowerCase() as HubTopic;
    if (topic === 'accounts') client.accounts = on;
    else if (on) client[topic].add(accountId as number);
    else client[topic].delete(accountId as number);
    reply();
  }

  #tick(): void {
    const now = Date.now();
    const ping = now - this.#lastPingAt >= this.#options.pingIntervalMs;
    if (ping) this.#lastPingAt = now;
    for (const c of this.#clients) {
      if (now - c.lastSeen > this.#options.clientTimeoutMs) {
        c.socket.terminate();
        continue;
      }
      if (ping && c.handshaken) send(c, frame({ type: 6 }));
    }
  }
}

/** One JSON record with its separator. */
function frame(message: object): string {
  return JSON.stringify(message) + RECORD_SEPARATOR;
}

function send(client: HubClient, text: string): void {
  if (client.socket.readyState === client.socket.OPEN) client.socket.send(text);
}

/** Answers an upgrade with a plain HTTP status and closes the socket. */
function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
