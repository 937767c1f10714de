import { systemClock } from '@tradenova/core';
import { SimulatedExchange } from '@tradenova/core/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_RUNS, fuzzAsync } from '../../../core/test/fuzz/harness.js';
import { type FixSimulator, startFixSimulator } from '../../src/fix/simulator/index.js';
import { RawFixClient } from '../fix/raw-client.js';

/**
 * The FIX parser (jspurefix's, as the simulator and the adapter both use it) and the simulator's
 * handlers, fed framed FIX messages with fuzzed types, tags and values over a real socket. After
 * each one a TestRequest must be answered with its Heartbeat, or, when the session refused the
 * message by logging out or dropping the connection, a new session must log on. An exception in
 * the parser or a handler would be uncaught.
 */
let sim: FixSimulator;
let c: RawFixClient | undefined;
let seq = 1;
let session = 0;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

async function logOn(): Promise<void> {
  c?.close();
  // A fresh CompID per session: no sequence state carries over from a dropped one.
  c = await RawFixClient.open(sim.port, {
    beginString: 'FIX.4.4',
    sender: `FZ${++session}`,
    target: 'FIXSIM',
  });
  c.logon(1, [[141, 'Y']]);
  await c.next('A');
  seq = 2;
}

/** TestRequest → Heartbeat with the same TestReqID: the session read everything before it. */
async function probe(): Promise<boolean> {
  const id = `probe-${seq}`;
  c?.send('1', seq++, [[112, id]]);
  try {
    for (;;) {
      const m = await c!.next('0', 3_000);
      if (m.get(112) === id) return true;
    }
  } catch {
    return false;
  }
}

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  sim = await startFixSimulator({ version: '4.4', exchange: new SimulatedExchange({ clock: systemClock }) });
  await logOn();
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  c?.close();
  await sim?.close();
});

const TAGS = [
  1, 11, 21, 37, 38, 40, 41, 44, 54, 55, 59, 60, 99, 107, 167, 200, 207, 112, 58, 7, 16, 123, 36, 45, 371,
  372, 9999, 0, -1,
];
const fieldValue = fc.oneof(
  fc.constantFrom(
    '1',
    '2',
    '3',
    '4',
    'MNQ',
    '202512',
    'FUT',
    '21000.25',
    'Y',
    'N',
    '',
    '-1',
    '1e400',
    'FIX1',
    '20251124-14:30:00.000',
  ),
  fc.string({ maxLength: 12 }).map((s) => s.replaceAll('\u0001', '').replaceAll('=', '')),
  fc.integer().map(String),
);
const message = fc.record({
  type: fc.constantFrom('D', 'F', 'G', 'H', 'AF', '2', '4', '5', 'j', '3', 'Z', '0', 'A'),
  body: fc.array(fc.tuple(fc.constantFrom(...TAGS), fieldValue), { maxLength: 10 }),
});

describe('fuzz: the FIX parser and the simulator behind its socket', () => {
  it(
    'every framed message is answered or refused, and the simulator keeps answering',
    async () => {
      await fuzzAsync('fix-wire', message, async ({ type, body }) => {
        c?.send(type, seq++, body);
        if (!(await probe())) {
          // Refused by a Logout or a dropped connection: the acceptor must still take a new session.
          await logOn();
          expect(await probe()).toBe(true);
        }
        expect(uncaught).toEqual([]);
      });
      // Both paths ran: messages the session took, and messages it refused by ending the session.
      expect(session).toBeGreaterThan(1);
    },
    Math.max(120_000, FUZZ_RUNS * 60),
  );
});
