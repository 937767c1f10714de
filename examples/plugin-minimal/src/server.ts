import { createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import {
  type BrokerConnection,
  PaperBroker,
  type SimulatedExchange,
  type TradeNovaError,
} from '@tradenova/core';

/**
 * The example's "broker": JSON lines over loopback TCP in front of a simulated exchange. A
 * request is `{"id":1,"method":"placeOrder","args":[…]}`; the answer `{"id":1,"result":…}` or
 * `{"id":1,"error":{"code":…,"message":…,"retryAfterMs":…}}`; events arrive as `{"event":…}`.
 */
export interface MinimalServer {
  port: number;
  close(): Promise<void>;
}

const METHODS = new Set([
  'listAccounts',
  'placeOrder',
  'modifyOrder',
  'cancelOrder',
  'flatten',
  'getPositions',
  'getOpenOrders',
  'findOrderByClientId',
]);

export async function startMinimalServer(
  exchange: SimulatedExchange,
  accounts: readonly string[],
): Promise<MinimalServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const broker: BrokerConnection = new PaperBroker(exchange, accounts);
    const send = (message: unknown) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    };
    const unsubscribe = broker.onEvent((event) => send({ event }));
    void broker.connect();
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      unsubscribe();
      void broker.disconnect();
    });
    createInterface({ input: socket }).on('line', async (line) => {
      const { id, method, args } = JSON.parse(line) as { id: number; method: string; args: unknown[] };
      if (!METHODS.has(method)) return send({ id, error: { code: 'UNKNOWN_METHOD', message: method } });
      try {
        const call = (broker as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!;
        send({ id, result: (await call.apply(broker, args)) ?? null });
      } catch (error) {
        const e = error as TradeNovaError & { retryAfterMs?: number };
        send({ id, error: { code: e.code ?? 'ERROR', message: e.message, retryAfterMs: e.retryAfterMs } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
