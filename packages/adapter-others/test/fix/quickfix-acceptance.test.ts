import { type Contract, systemClock } from '@tradenova/core';
import { SimulatedExchange } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type FixSimulator, startFixSimulator } from '../../src/fix/simulator/index.js';
import { fixTime, RawFixClient } from './raw-client.js';

/*
 * Server-side acceptance scenarios of the QuickFIX project (test/definitions/server/fix42),
 * the ones that concern an order-entry acceptor, replayed against the FIX simulator
 * over loopback with a client that has no session logic of its own. Each test names
 * its scenario; the expectations are the scenario's, restated here (times, lengths and
 * checksums are not compared, as QuickFIX's runner does not compare them either).
 * docs/adapters/fix.md lists them.
 */

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: new Date().getUTCFullYear() + 1 };

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function simulator(): Promise<FixSimulator> {
  const exchange = new SimulatedExchange({ clock: systemClock });
  const sim = await startFixSimulator({ version: '4.2', exchange });
  exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
  cleanup.push(() => sim.close());
  return sim;
}

async function client(sim: FixSimulator, sender = 'TW'): Promise<RawFixClient> {
  const c = await RawFixClient.open(sim.port, { beginString: 'FIX.4.2', sender, target: 'FIXSIM' });
  cleanup.push(() => c.close());
  return c;
}

/** Logs on at `seq` and checks the answer is a Logon carrying our heartbeat interval. */
async function logOn(c: RawFixClient, seq = 1) {
  c.logon(seq);
  const answer = await c.next('A');
  expect(answer.get(108)).toBe('30');
  expect(answer.get(98)).toBe('0');
  expect(answer.get(56)).toBe('TW');
  expect(answer.get(49)).toBe('FIXSIM');
  return answer;
}

/** Sends Logout at `seq`; the acceptor must answer with a Logout numbered `expectSeq`. */
async function logOut(c: RawFixClient, seq: number, expectSeq: number) {
  c.send('5', seq);
  const answer = await c.next('5');
  expect(answer.get(34)).toBe(String(expectSeq));
  c.close();
}

describe('QuickFIX server acceptance scenarios (FIX 4.2) against the FIX simulator', () => {
  it('1a ValidLogonWithCorrectMsgSeqNum: a valid Logon is answered with a Logon, a Logout with a Logout', async () => {
    const c = await client(await simulator());
    const answer = await logOn(c);
    expect(answer.get(34)).toBe('1');
    await logOut(c, 2, 2);
  });

  it('1a ValidLogonMsgSeqNumTooHigh: a Logon numbered too high is accepted, then a ResendRequest from the expected number', async () => {
    const c = await client(await simulator());
    await logOn(c, 5);
    const resend = await c.next('2');
    expect(resend.get(7)).toBe('1');
    expect(resend.get(16)).toBe('0');
    // The gap is filled administratively; the session then goes on at 6.
    c.send('4', 1, [
      [123, 'Y'],
      [36, 6],
    ]);
    c.send('1', 6, [[112, 'AFTER-GAP']]);
    expect((await c.next('0')).get(112)).toBe('AFTER-GAP');
  });

  it('1b DuplicateIdentity: a second Logon for a session that is logged on is disconnected; the first carries on', async () => {
    const sim = await simulator();
    const first = await client(sim);
    await logOn(first);
    const second = await client(sim);
    second.logon(1);
    await second.closed;
    expect(second.pending().some((m) => m.get(35) === 'A')).toBe(false);
    first.send('1', 2, [[112, 'STILL-HERE']]);
    expect((await first.next('0')).get(112)).toBe('STILL-HERE');
    await logOut(first, 3, 3);
  });

  it('1e NotLogonMessage: a first message other than Logon closes the connection', async () => {
    const c = await client(await simulator());
    c.send('0', 1);
    await c.closed;
    expect(c.pending()).toEqual([]);
  });

  it('2b MsgSeqNumTooHigh: a gap asks for a resend of the missing numbers, and the resent ones are taken', async () => {
    const c = await client(await simulator());
    await logOn(c);
    for (const seq of [2, 3, 4]) c.send('0', seq);
    c.send('0', 10);
    const resend = await c.next('2');
    expect(resend.get(7)).toBe('5');
    expect(resend.get(16)).toBe('0');
    for (const seq of [5, 6, 7, 8, 9]) c.send('0', seq, []);
    // Still in sequence after the resend: a TestRequest at 11 is answered.
    c.send('1', 11, [[112, 'IN-SEQUENCE']]);
    expect((await c.next('0')).get(112)).toBe('IN-SEQUENCE');
  });

  it('2c MsgSeqNumTooLow: a number already used, without PossDup, ends the session with a Logout that says why', async () => {
    const c = await client(await simulator());
    await logOn(c);
    for (const seq of [2, 3, 4]) c.send('0', seq);
    c.send('0', 2);
    const logout = await c.next('5');
    expect(logout.get(58)).toBe('MsgSeqNum too low, expecting 5 but received 2');
    await c.closed;
  });

  it('2e PossDupAlreadyReceived: a repeated number with PossDupFlag=Y is ignored and the session goes on', async () => {
    const c = await client(await simulator());
    await logOn(c);
    c.send('0', 2);
    c.send('0', 2, [
      [43, 'Y'],
      [122, fixTime()],
    ]);
    c.send('1', 3, [[112, 'AFTER-DUP']]);
    expect((await c.next('0')).get(112)).toBe('AFTER-DUP');
    expect(c.isClosed).toBe(false);
  });

  it('4b ReceivedTestRequest: a TestRequest is answered by a Heartbeat carrying its TestReqID', async () => {
    const c = await client(await simulator());
    await logOn(c);
    c.send('1', 2, [[112, 'HELLO']]);
    const heartbeat = await c.next('0');
    expect(heartbeat.get(112)).toBe('HELLO');
    expect(heartbeat.get(34)).toBe('2');
    await logOut(c, 3, 3);
  });

  it('13b UnsolicitedLogoutMessage: a Logout from the initiator is answered with a Logout', async () => {
    const c = await client(await simulator());
    await logOn(c);
    await logOut(c, 2, 2);
  });

  it('8 AdminAndApplicationMessages (order entry): a NewOrderSingle is acknowledged and filled, and a ResendRequest replays the reports with PossDupFlag while admin messages are gap-filled', async () => {
    const sim = await simulator();
    const c = await client(sim);
    await logOn(c);
    c.send('1', 2, [[112, 'BEFORE']]);
    expect((await c.next('0')).get(34)).toBe('2');
    c.send('D', 3, [
      [11, 'QF-1'],
      [1, 'FIX1'],
      [21, '1'],
      [55, 'MNQ'],
      [167, 'FUT'],
      [200, String(MNQ.year * 100 + 12)],
      [207, 'CME'],
      [54, '1'],
      [60, fixTime()],
      [38, 2],
      [40, '1'],
    ]);
    const ack = await c.next('8');
    expect([ack.get(11), ack.get(150), ack.get(39), ack.get(20)]).toEqual(['QF-1', '0', '0', '0']);
    const fill = await c.next('8');
    expect([fill.get(150), fill.get(39), fill.get(32), fill.get(31), fill.get(14)]).toEqual([
      '2',
      '2',
      '2',
      '20000.25',
      '2',
    ]);
    expect(sim.exchange.getPositions('FIX1')).toMatchObject([{ netQty: 2 }]);
    const lastSeq = Number(fill.get(34));
    // Everything from our 2 on, again: the heartbeat comes back as a gap fill, the reports as PossDup copies.
    c.send('2', 4, [
      [7, 2],
      [16, 0],
    ]);
    const replay: { type: string; seq: number; possDup?: string; newSeqNo?: string }[] = [];
    while (
      replay.length === 0 ||
      Math.max(...replay.map((r) => (r.newSeqNo ? Number(r.newSeqNo) - 1 : r.seq))) < lastSeq
    ) {
      const m = await c.next();
      replay.push({ type: m.get(35)!, seq: Number(m.get(34)), possDup: m.get(43), newSeqNo: m.get(36) });
    }
    const reports = replay.filter((r) => r.type === '8');
    expect(reports.map((r) => r.seq)).toEqual([lastSeq - 1, lastSeq]);
    expect(reports.every((r) => r.possDup === 'Y')).toBe(true);
    expect(replay.some((r) => r.type === '0')).toBe(false);
    // Nothing was executed twice: the position is still 2.
    expect(sim.exchange.getPositions('FIX1')).toMatchObject([{ netQty: 2 }]);
    c.send('1', 5, [[112, 'AFTER-RESEND']]);
    expect((await c.next('0')).get(34)).toBe(String(lastSeq + 1));
  });
});
