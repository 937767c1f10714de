/**
 * One WebSocket logged in to one Rithmic plant (§1.3: one connection, one plant):
 * login, heartbeats at the interval the login answer gives, request/response
 * correlation by `user_msg`, the N + 1 list pattern, pushes, logout.
 */
import { randomUUID } from 'node:crypto';
import {
  BrokerDisconnectedError,
  BrokerRejectedError,
  BrokerTimeoutError,
  type Logger,
} from '@tradenova/core';
import WebSocket from 'ws';
import { BROKER, errorFromRpCode, isSuccess } from '../errors.js';
import {
  type Decoded,
  decodeMessage,
  encodeMessage,
  type Framing,
  frame,
  InfraType,
  type MessageName,
  num,
  type RithmicMessage,
  strings,
  TEMPLATE_ID,
  toBytes,
  unframe,
} from '../wire.js';

/** Which plant a connection logs in to. */
export type PlantName = 'order' | 'pnl';

/** What a plant needs to log in. */
export interface PlantOptions {
  plant: PlantName;
  url: string;
  framing: Framing;
  systemName: string;
  user: string;
  password: string;
  appName: string;
  appVersion: string;
  templateVersion: string;
  requestTimeoutMs: number;
  logger: Logger;
  /** Server pushes (351, 352, 450, 451, ...), in arrival order. */
  onPush: (decoded: Decoded) => void;
  /** The socket is gone; `forced` when the server sent `ForcedLogout` (77) first. */
  onClose: (info: { forced: boolean; expected: boolean }) => void;
}

/** What the login answer told us. */
export interface LoginResult {
  heartbeatIntervalSec: number;
  fcmId: string | undefined;
  ibId: string | undefined;
}

interface Pending {
  request: MessageName;
  collected: RithmicMessage[];
  resolve: (messages: RithmicMessage[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** The heartbeat period for a server interval: `interval − 1` s like async_rithmic, halved for tiny test intervals. */
export function heartbeatPeriodMs(intervalSec: number): number {
  const seconds = intervalSec >= 4 ? intervalSec - 1 : intervalSec / 2;
  return Math.max(50, Math.round(seconds * 1000));
}

/** One plant connection. */
export class RithmicPlant {
  readonly plant: PlantName;
  readonly #options: PlantOptions;
  #socket: WebSocket | undefined;
  readonly #pending = new Map<string, Pending>();
  #heartbeat: NodeJS.Timeout | undefined;
  #forced = false;
  #closing = false;
  /** Round trip of the last heartbeat, ms. */
  latencyMs: number | undefined;

  constructor(options: PlantOptions) {
    this.plant = options.plant;
    this.#options = options;
  }

  /** Opens the socket and logs in; rejects with an auth error when the login is refused. */
  async open(): Promise<LoginResult> {
    const socket = new WebSocket(this.#options.url, { perMessageDeflate: false });
    socket.binaryType = 'nodebuffer';
    this.#socket = socket;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new BrokerTimeoutError(BROKER, this.#options.requestTimeoutMs));
      }, this.#options.requestTimeoutMs);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new BrokerDisconnectedError(BROKER, `cannot reach ${this.#options.url}: ${error.message}`));
      });
    });
    socket.on('message', (data: WebSocket.RawData) => this.#receive(data));
    socket.on('error', (error) =>
      this.#options.logger.warn({ err: error.message, plant: this.plant }, 'rithmic socket error'),
    );
    socket.on('close', () => this.#closed());

    const [answer] = await this.request('RequestLogin', {
      template_version: this.#options.templateVersion,
      user: this.#options.user,
      password: this.#options.password,
      app_name: this.#options.appName,
      app_version: this.#options.appVersion,
      system_name: this.#options.systemName,
      infra_type: this.plant === 'order' ? InfraType.ORDER_PLANT : InfraType.PNL_PLANT,
    });
    const interval = num(answer!, 'heartbeat_interval') ?? 60;
    // The server expects a heartbeat right after login (async_rithmic's reading of the reference guide).
    this.#sendHeartbeat();
    this.#heartbeat = setInterval(() => this.#sendHeartbeat(), heartbeatPeriodMs(interval));
    this.#heartbeat.unref();
    return {
      heartbeatIntervalSec: interval,
      fcmId: answer!.fcm_id as string | undefined,
      ibId: answer!.ib_id as string | undefined,
    };
  }

  /**
   * Sends a request and collects its answers until one carries `rp_code` (§3: N data
   * messages then the terminator; single answers carry both). Rejects on an error code.
   */
  request(name: MessageName, fields: Record<string, unknown> = {}): Promise<RithmicMessage[]> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new BrokerDisconnectedError(BROKER, `${this.plant} plant is not connected`));
    }
    const id = randomUUID();
    return new Promise<RithmicMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new BrokerTimeoutError(BROKER, this.#options.requestTimeoutMs));
      }, this.#options.requestTimeoutMs);
      this.#pending.set(id, { request: name, collected: [], resolve, reject, timer });
      try {
        socket.send(frame(encodeMessage(name, { ...fields, user_msg: [id] }), this.#options.framing));
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Logs out (12 → 13) and closes with 1000; never throws. */
  async logout(): Promise<void> {
    this.#closing = true;
    this.#stopHeartbeat();
    const socket = this.#socket;
    if (!socket) return;
    if (socket.readyState === WebSocket.OPEN) {
      await Promise.race([
        this.request('RequestLogout').catch(() => []),
        new Promise((r) => setTimeout(r, 1_000)),
      ]);
    }
    await new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      socket.once('close', () => resolve());
      socket.close(1000, 'logout');
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1_000).unref();
    });
  }

  /** Drops the socket at once, without logging out (the other plant died; we start over). */
  terminate(): void {
    this.#closing = true;
    this.#stopHeartbeat();
    this.#socket?.terminate();
  }

  #sendHeartbeat(): void {
    const started = Date.now();
    this.request('RequestHeartbeat').then(
      () => {
        this.latencyMs = Date.now() - started;
      },
      () => {
        // A lost heartbeat answer shows up as a closed socket soon enough.
      },
    );
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #receive(data: WebSocket.RawData): void {
    let decoded: Decoded;
    try {
      decoded = decodeMessage(unframe(toBytes(data)).payload);
    } catch (error) {
      this.#options.logger.warn(
        { err: String(error), plant: this.plant },
        'rithmic: undecodable message skipped',
      );
      return;
    }
    const { templateId, name, message } = decoded;
    if (!name) {
      // Production pushes templates newer than our table (e.g. 358): log and skip (§2).
      this.#options.logger.debug({ templateId, plant: this.plant }, 'rithmic: unknown template skipped');
      return;
    }
    if (templateId === TEMPLATE_ID.ForcedLogout) {
      this.#forced = true;
      return;
    }
    const id = strings(message, 'user_msg')[0];
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (templateId === TEMPLATE_ID.Reject) {
      if (pending && id !== undefined) {
        this.#finish(id, pending);
        const code = strings(message, 'rp_code');
        pending.reject(new BrokerRejectedError(BROKER, `${pending.request} refused: ${code.join(' ')}`));
      } else
        this.#options.logger.warn(
          { rpCode: strings(message, 'rp_code'), plant: this.plant },
          'rithmic reject',
        );
      return;
    }
    if (pending && id !== undefined && templateId === TEMPLATE_ID[pending.request] + 1) {
      pending.collected.push(message);
      const rpCode = strings(message, 'rp_code');
      if (rpCode.length === 0) return; // a data message of an N + 1 answer
      this.#finish(id, pending);
      if (isSuccess(rpCode)) pending.resolve(pending.collected);
      else pending.reject(errorFromRpCode(rpCode, pending.request));
      return;
    }
    this.#options.onPush(decoded);
  }

  #finish(id: string, pending: Pending): void {
    clearTimeout(pending.timer);
    this.#pending.delete(id);
  }

  #closed(): void {
    this.#stopHeartbeat();
    for (const [id, pending] of this.#pending) {
      this.#finish(id, pending);
      pending.reject(
        new BrokerDisconnectedError(
          BROKER,
          `${this.plant} plant closed before ${pending.request} was answered (outcome unknown)`,
        ),
      );
    }
    this.#options.onClose({ forced: this.#forced, expected: this.#closing });
  }
}
