import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FUZZ_RUNS, fuzzAsync, jsonish, nastyValue, objectWith } from '../../../core/test/fuzz/harness.js';
import { type DxLinkSimulator, startDxLinkSimulator } from '../../src/dxfeed/simulator/index.js';

/**
 * The dxLink simulator's message decoder, behind its WebSocket server: any message must get an
 * answer or an ERROR message, and the connection must go on answering (a SETUP after each case
 * is answered). A throw in the server's message handler would be an uncaught exception.
 */
let sim: DxLinkSimulator;
let ws: WebSocket;
const inbox: Record<string, unknown>[] = [];
let waiter: (() => void) | undefined;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

async function open(): Promise<void> {
  ws = new WebSocket(sim.url);
  ws.on('message', (data) => {
    inbox.push(JSON.parse(String(data)) as Record<string, unknown>);
    waiter?.();
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
}

/** Sends SETUP and waits for the SETUP answer: the server is alive and read everything before it. */
async function roundTrip(): Promise<void> {
  inbox.length = 0;
  ws.send(
    JSON.stringify({
      type: 'SETUP',
      channel: 0,
      version: '0.1',
      keepaliveTimeout: 60,
      acceptKeepaliveTimeout: 60,
    }),
  );
  const deadline = Date.now() + 10_000;
  while (!inbox.some((m) => m.type === 'SETUP')) {
    if (Date.now() > deadline) throw new Error('the simulator stopped answering');
    await new Promise<void>((resolve) => {
      waiter = resolve;
      setTimeout(resolve, 50);
    });
  }
}

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  sim = await startDxLinkSimulator();
  await open();
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  ws?.close();
  await sim?.close();
});

const KEYS = [
  'type',
  'channel',
  'token',
  'service',
  'parameters',
  'acceptDataFormat',
  'acceptEventFields',
  'acceptAggregationPeriod',
  'reset',
  'add',
  'remove',
  'version',
  'keepaliveTimeout',
];
const value = fc.oneof(
  fc.constantFrom(
    'SETUP',
    'AUTH',
    'KEEPALIVE',
    'CHANNEL_REQUEST',
    'CHANNEL_CANCEL',
    'FEED_SETUP',
    'FEED_SUBSCRIPTION',
    'FEED',
    'COMPACT',
    'FULL',
    1,
    3,
  ),
  fc.array(
    fc.oneof(
      fc.constant(null),
      fc.record({
        type: fc.constantFrom('Quote', 'Trade', 7),
        symbol: fc.oneof(fc.constant('/MNQZ25:XCME'), fc.integer()),
      }),
      nastyValue(),
    ),
    { maxLength: 3 },
  ),
  nastyValue(),
);
/** A session: open a channel, then the fuzzed message, as text. */
const message = fc.oneof(
  objectWith(KEYS, value).map((m) => JSON.stringify(m)),
  jsonish(),
);

describe('fuzz: dxLink messages (the simulator behind its socket)', () => {
  it('regression: a JSON null is refused with INVALID_MESSAGE and the connection goes on', async () => {
    inbox.length = 0;
    ws.send('null');
    ws.send(JSON.stringify({ type: 'FEED_SUBSCRIPTION', channel: 1, add: [null, 5] }));
    await roundTrip();
    expect(uncaught).toEqual([]);
  });

  it(
    'every message is answered or refused, and the connection keeps answering',
    async () => {
      ws.send(JSON.stringify({ type: 'AUTH', channel: 0, token: 'x' }));
      ws.send(
        JSON.stringify({
          type: 'CHANNEL_REQUEST',
          channel: 1,
          service: 'FEED',
          parameters: { contract: 'AUTO' },
        }),
      );
      await fuzzAsync('dxlink-messages', message, async (text) => {
        if (ws.readyState !== WebSocket.OPEN) await open();
        ws.send(text);
        await roundTrip();
        expect(uncaught).toEqual([]);
      });
    },
    Math.max(120_000, FUZZ_RUNS * 10),
  );
});
