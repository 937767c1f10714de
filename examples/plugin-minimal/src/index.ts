import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import {
  ADAPTER_SPECIFICATION_VERSION,
  type AdapterCapabilities,
  type AdapterPlugin,
  type BrokerAccount,
  type BrokerConnection,
  BrokerDisconnectedError,
  type BrokerEvent,
  type BrokerOrder,
  type BrokerPosition,
  BrokerRateLimitedError,
  BrokerRejectedError,
  type CancelOrderRequest,
  type ConnectionHealth,
  type ConnectionState,
  ErrorCode,
  type FlattenRequest,
  type ModifyOrderRequest,
  type OrderAck,
  type PlaceOrderRequest,
  TradeNovaError,
} from '@tradenova/core';
import { z } from 'zod';

/**
 * A minimal outside adapter plugin, written only against @tradenova/core's public entry: it
 * speaks the example JSON-lines protocol of ./server.ts over TCP. It shows what a plugin
 * package holds (a config schema, capabilities, a connection) and passes the conformance kit.
 */
export const minimalConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int(),
});
export type MinimalConfig = z.infer<typeof minimalConfigSchema>;

const CAPABILITIES: AdapterCapabilities = {
  brackets: true,
  nativeOco: true,
  modify: true,
  clientOrderIds: true,
  positionQuery: true,
  leaderFillStream: true,
  netReversal: true,
};

export class MinimalConnection implements BrokerConnection {
  readonly broker = 'minimal';
  readonly capabilities = CAPABILITIES;
  readonly #config: MinimalConfig;
  readonly #listeners = new Set<(event: BrokerEvent) => void>();
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #socket: Socket | undefined;
  #state: ConnectionState = 'disconnected';
  #next = 0;

  constructor(config: MinimalConfig) {
    this.#config = config;
  }

  async connect(): Promise<void> {
    this.#setState('connecting');
    const socket = connect(this.#config.port, this.#config.host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    this.#socket = socket;
    socket.on('close', () => {
      for (const p of this.#pending.values())
        p.reject(new BrokerDisconnectedError(this.broker, 'connection closed'));
      this.#pending.clear();
      this.#setState('disconnected');
    });
    createInterface({ input: socket }).on('line', (line) => this.#receive(JSON.parse(line)));
    this.#setState('connected');
  }

  async disconnect(): Promise<void> {
    this.#socket?.destroy();
    this.#socket = undefined;
    this.#setState('disconnected');
  }

  listAccounts = () => this.#call<BrokerAccount[]>('listAccounts');
  placeOrder = (request: PlaceOrderRequest) => this.#call<OrderAck>('placeOrder', request);
  modifyOrder = (request: ModifyOrderRequest) => this.#call<void>('modifyOrder', request);
  cancelOrder = (request: CancelOrderRequest) => this.#call<void>('cancelOrder', request);
  flatten = (request: FlattenRequest) => this.#call<void>('flatten', request);
  getPositions = (accountId: string) => this.#call<BrokerPosition[]>('getPositions', accountId);
  getOpenOrders = (accountId: string) => this.#call<BrokerOrder[]>('getOpenOrders', accountId);
  findOrderByClientId = async (accountId: string, clientOrderId: string) =>
    (await this.#call<BrokerOrder | null>('findOrderByClientId', accountId, clientOrderId)) ?? undefined;

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  health(): ConnectionHealth {
    return { state: this.#state };
  }

  #call<T>(method: string, ...args: unknown[]): Promise<T> {
    const socket = this.#socket;
    if (!socket) return Promise.reject(new BrokerDisconnectedError(this.broker, 'not connected'));
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      socket.write(`${JSON.stringify({ id, method, args })}\n`);
    });
  }

  #receive(message: {
    id?: number;
    result?: unknown;
    error?: { code: string; message: string; retryAfterMs?: number };
    event?: BrokerEvent;
  }): void {
    if (message.event) {
      for (const listener of this.#listeners) listener(message.event);
      return;
    }
    const pending = message.id === undefined ? undefined : this.#pending.get(message.id);
    if (!pending || message.id === undefined) return;
    this.#pending.delete(message.id);
    if (message.error) pending.reject(this.#error(message.error));
    else pending.resolve(message.result);
  }

  /** The broker's error codes as core's typed errors, so the engine knows what to retry. */
  #error(e: { code: string; message: string; retryAfterMs?: number }): TradeNovaError {
    if (e.code === ErrorCode.BrokerRejected) return new BrokerRejectedError(this.broker, e.message);
    if (e.code === ErrorCode.BrokerRateLimited)
      return new BrokerRateLimitedError(this.broker, e.retryAfterMs ?? 1_000);
    return new TradeNovaError(ErrorCode.BrokerUnavailable, e.message);
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const listener of this.#listeners) listener({ type: 'connection-changed', state });
  }
}

/** The plugin a config names as `broker: module:tradenova-adapter-minimal`. */
const plugin: AdapterPlugin<MinimalConfig> = {
  specificationVersion: ADAPTER_SPECIFICATION_VERSION,
  name: 'minimal',
  core: '^0.1.0 || ^0.2.0',
  configSchema: minimalConfigSchema,
  capabilities: CAPABILITIES,
  create: (config) => new MinimalConnection(config),
};
export default plugin;
