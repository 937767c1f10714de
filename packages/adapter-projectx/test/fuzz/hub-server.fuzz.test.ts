import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FUZZ_RUNS, fuzzAsync, jsonish, nastyValue, objectWith } from '../../../core/test/fuzz/harness.js';
import { type ProjectXSimulator, startProjectXSimulator } from '../../src/simulator/index.js';
import { RECORD_SEPARATOR } from '../../src/wire.js';

/**
 * SignalR JSON hub messages into the ProjectX simulator's user hub, over a real WebSocket: after
 * each fuzzed record an invocation must still be answered (or, when the record was refused by
 * closing the connection, a new connection must still be taken). A throw in the hub's message
 * handler would be an uncaught exception.
 */
let sim: ProjectXSimulator;
let token = '';
let ws: WebSocket | undefined;
let received = '';
let closed = false;
let wake: (() => void) | undefined;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

async function connect(): Promise<void> {
  closed = false;
  received = '';
  const socket = new WebSocket(`${sim.hubUrl.replace(/^http/, 'ws')}?access_token=${token}`);
  socket.on('message', (data) => {
    received += String(data);
    wake?.();
  });
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  ws = socket;
  socket.send(`{"protocol":"json","version":1}${RECORD_SEPARATOR}`);
  await until(() => received.includes(`{}${RECORD_SEPARATOR}`));
}

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('the hub stopped answering');
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, 50);
    });
  }
}

let sequence = 0;
/** An invocation with an id is answered with a completion: the hub read everything before it. */
async function roundTrip(): Promise<void> {
  const id = `probe-${++sequence}`;
  ws?.send(
    `{"type":1,"invocationId":"${id}","target":"SubscribeAccounts","arguments":[]}${RECORD_SEPARATOR}`,
  );
  await until(() => closed || received.includes(`"invocationId":"${id}"`));
}

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  sim = await startProjectXSimulator();
  const res = await fetch(`${sim.url}/api/Auth/loginKey`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userName: 'fuzz', apiKey: 'fuzz-key' }),
  });
  token = ((await res.json()) as { token: string }).token;
  await connect();
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  ws?.close();
  await sim?.close();
});

const KEYS = [
  'type',
  'invocationId',
  'target',
  'arguments',
  'protocol',
  'version',
  'streamIds',
  'headers',
  'error',
];
const value = fc.oneof(
  fc.constantFrom(1, 3, 5, 6, 7, 'json', 'SubscribeOrders', 'SubscribeAccounts', 'UnsubscribeTrades', 'x'),
  fc.array(nastyValue(), { maxLength: 3 }),
  nastyValue(),
);
const record = fc.oneof(
  objectWith(KEYS, value).map((m) => JSON.stringify(m)),
  jsonish(),
  fc.constantFrom('null', '1', '[]', '"x"', 'true'),
);

describe('fuzz: SignalR JSON hub messages (ProjectX simulator)', () => {
  it('regression: a record that is JSON but not an object closes the connection, and the hub goes on', async () => {
    ws?.send(`null${RECORD_SEPARATOR}`);
    await roundTrip();
    expect(uncaught).toEqual([]);
    if (closed) await connect();
    await roundTrip();
    expect(closed).toBe(false);
  });

  it(
    'every record is answered or refused, and the hub keeps answering',
    async () => {
      await fuzzAsync('signalr-hub-records', record, async (text) => {
        if (closed || !ws || ws.readyState !== WebSocket.OPEN) await connect();
        ws?.send(`${text}${RECORD_SEPARATOR}`);
        await roundTrip();
        if (closed) await connect();
        expect(uncaught).toEqual([]);
      });
    },
    Math.max(120_000, FUZZ_RUNS * 20),
  );
});
