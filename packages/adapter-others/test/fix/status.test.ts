import { type Contract, systemClock } from '@tradenova/core';
import { SimulatedExchange } from '@tradenova/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type FixSimulator, startFixSimulator } from '../../src/fix/simulator/index.js';
import { fixTime, RawFixClient, type RawMessage } from './raw-client.js';

/*
 * Order and position status at the FIX 4.4 simulator over a real socket, asked by a
 * session other than the one that placed the orders (a restarted initiator):
 * OrderMassStatusRequest (AF), OrderStatusRequest (H), RequestForPositions (AN), and
 * the same after the simulator's front end restarted on its exchange.
 */

const MNQ: Contract = { root: 'MNQ', month: 'Z', year: new Date().getUTCFullYear() + 1 };
const MATURITY = String(MNQ.year * 100 + 12);
const INSTRUMENT: [number, string][] = [
  [55, 'MNQ'],
  [167, 'FUT'],
  [200, MATURITY],
  [207, 'CME'],
];

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

/** A raw FIX 4.4 session: logs on at 1 (or `seq`) and numbers what it sends. */
async function session(port: number, sender: string, seq = 1) {
  const c = await RawFixClient.open(port, { beginString: 'FIX.4.4', sender, target: 'FIXSIM' });
  cleanup.push(() => c.close());
  let next = seq;
  c.logon(next++);
  const logon = await c.next('A');
  return {
    c,
    logon,
    send: (msgType: string, body: [number, string | number][]) => c.send(msgType, next++, body),
    get seq() {
      return next;
    },
  };
}

function order(clOrdId: string, account: string, side: '1' | '2', qty: number, price?: string) {
  return [
    [11, clOrdId],
    [1, account],
    ...INSTRUMENT,
    [54, side],
    [60, fixTime()],
    [38, qty],
    [40, price === undefined ? '1' : '2'],
    ...(price === undefined ? [] : [[44, price] as [number, string]]),
    [59, price === undefined ? '0' : '1'],
  ] as [number, string | number][];
}

/** Messages of type `msgType` until one with `last` true. */
async function until(c: RawFixClient, msgType: string, last: (m: RawMessage) => boolean) {
  const out: RawMessage[] = [];
  for (;;) {
    const m = await c.next(msgType);
    out.push(m);
    if (last(m)) return out;
  }
}

async function simulator(exchange = new SimulatedExchange({ clock: systemClock }), port?: number) {
  const sim: FixSimulator = await startFixSimulator({
    version: '4.4',
    exchange,
    ...(port === undefined ? {} : { port }),
  });
  cleanup.push(() => sim.close());
  exchange.updateQuote(MNQ, { bidTicks: 80_000, askTicks: 80_001 });
  return { sim, exchange };
}

/** Two working limit orders on FIX1 (one replaced), one on FIX2, and FIX1 long 3 from a market order. */
async function placeOrders(port: number) {
  const a = await session(port, 'PLACER');
  a.send('D', order('A-1', 'FIX1', '1', 2, '19000'));
  await a.c.next('8');
  a.send('D', order('A-2', 'FIX1', '2', 1, '21000'));
  await a.c.next('8');
  a.send('G', [
    [41, 'A-2'],
    [11, 'A-2.r1'],
    [1, 'FIX1'],
    ...INSTRUMENT,
    [54, '2'],
    [60, fixTime()],
    [38, 1],
    [40, '2'],
    [44, '21000.25'],
    [59, '1'],
  ]);
  const replaced = await a.c.next('8');
  expect(replaced.get(150)).toBe('5');
  a.send('D', order('B-1', 'FIX2', '1', 1, '19500'));
  await a.c.next('8');
  a.send('D', order('M-1', 'FIX1', '1', 3));
  await until(a.c, '8', (m) => m.get(11) === 'M-1' && m.get(39) === '2');
  return a;
}

describe('FIX 4.4 simulator: order and position status for any session of the account', () => {
  it('answers OrderMassStatusRequest with one 150=I report per working order of the account, 912=Y on the last', async () => {
    const { sim } = await simulator();
    await placeOrders(sim.port);
    const b = await session(sim.port, 'RESTARTED');
    b.send('AF', [
      [584, 'MS-1'],
      [585, '7'],
      [1, 'FIX1'],
    ]);
    const reports = await until(b.c, '8', (m) => m.get(912) === 'Y');
    expect(reports.map((r) => r.get(11))).toEqual(['A-1', 'A-2.r1']);
    for (const r of reports) {
      expect(r.get(150)).toBe('I');
      expect(r.get(39)).toBe('0');
      expect(r.get(584)).toBe('MS-1');
      expect(r.get(911)).toBe('2');
      expect(r.get(1)).toBe('FIX1');
      expect(r.get(55)).toBe('MNQ');
      expect(r.get(14)).toBe('0');
      expect(r.get(6)).toBe('0');
      expect(r.get(37)).toMatch(/\S/);
    }
    expect(reports[0]!.get(912)).toBe('N');
    expect(reports[0]!.get(151)).toBe('2');
    expect(reports[0]!.get(54)).toBe('1');
    expect(reports[0]!.get(44)).toBe('19000');
    expect(reports[1]!.get(44)).toBe('21000.25');
    expect(reports[1]!.get(59)).toBe('1');

    // All accounts without tag 1; by instrument with 585=1.
    b.send('AF', [
      [584, 'MS-2'],
      [585, '7'],
    ]);
    const all = await until(b.c, '8', (m) => m.get(912) === 'Y');
    expect(all.map((r) => r.get(11)).sort()).toEqual(['A-1', 'A-2.r1', 'B-1']);
    b.send('AF', [[584, 'MS-3'], [585, '1'], [1, 'FIX2'], ...INSTRUMENT]);
    const byInstrument = await until(b.c, '8', (m) => m.get(912) === 'Y');
    expect(byInstrument.map((r) => r.get(11))).toEqual(['B-1']);
  });

  it('answers a mass status with no working order by one report for no order (911=0, 912=Y)', async () => {
    const { sim } = await simulator();
    const b = await session(sim.port, 'EMPTY');
    b.send('AF', [
      [584, 'MS-0'],
      [585, '7'],
      [1, 'FIX2'],
    ]);
    const [report] = await until(b.c, '8', (m) => m.get(912) === 'Y');
    expect(report!.get(37)).toBe('NONE');
    expect(report!.get(911)).toBe('0');
    expect(report!.get(150)).toBe('I');
    expect(report!.get(584)).toBe('MS-0');
  });

  it('answers OrderStatusRequest for an order of another session, filled ones included; an unknown ClOrdID with a business reject', async () => {
    const { sim } = await simulator();
    await placeOrders(sim.port);
    const b = await session(sim.port, 'RESTARTED');
    b.send('H', [[11, 'M-1'], [1, 'FIX1'], ...INSTRUMENT, [54, '1']]);
    const filled = await b.c.next('8');
    expect([150, 11, 39, 14, 151].map((tag) => filled.get(tag))).toEqual(['I', 'M-1', '2', '3', '0']);
    b.send('H', [[11, 'M-1'], [1, 'FIX2'], ...INSTRUMENT, [54, '1']]);
    const otherAccount = await b.c.next('j');
    expect(otherAccount.get(380)).toBe('1');
    b.send('H', [[11, 'NEVER'], [1, 'FIX1'], ...INSTRUMENT, [54, '1']]);
    const unknown = await b.c.next('j');
    expect(unknown.get(379)).toBe('NEVER');
    expect(unknown.get(380)).toBe('1');
  });

  it('answers RequestForPositions with an ack and one PositionReport per open position', async () => {
    const { sim, exchange } = await simulator();
    await placeOrders(sim.port);
    const b = await session(sim.port, 'RESTARTED');
    const body = (account: string): [number, string | number][] => [
      [710, `P-${account}`],
      [724, '0'],
      [1, account],
      [581, '1'],
      [715, '20261206'],
      [60, fixTime()],
    ];
    b.send('AN', body('FIX1'));
    const ack = await b.c.next('AO');
    expect(ack.get(710)).toBe('P-FIX1');
    expect(ack.get(727)).toBe('1');
    expect(ack.get(728)).toBe('0');
    const report = await b.c.next('AP');
    expect([1, 55, 702, 704, 705].map((tag) => report.get(tag))).toEqual(['FIX1', 'MNQ', '1', '3', '0']);
    const [position] = exchange.getPositions('FIX1');
    expect(Number(report.get(730)) * 4).toBe(position!.avgPriceTicks);

    b.send('AN', body('FIX2'));
    const none = await b.c.next('AO');
    expect(none.get(727)).toBe('0');
    expect(none.get(728)).toBe('2');
  });

  it('keeps orders, ClOrdIDs, sequence numbers and undelivered reports across a restart of its front end', async () => {
    const { sim, exchange } = await simulator();
    const a = await placeOrders(sim.port);
    const sentBefore = sim.stats().sequence.sent;
    const port = sim.port;
    await sim.close();
    // While the front end is down the order fills at the exchange: its report waits for the session.
    exchange.updateQuote(MNQ, { bidTicks: 75_999, askTicks: 76_000 });
    await expect.poll(() => exchange.getOpenOrders('FIX1').length).toBe(1);
    const { sim: again } = await simulator(exchange, port);
    const resumed = await session(again.port, 'PLACER', a.seq);
    expect(Number(resumed.logon.get(34))).toBeGreaterThan(sentBefore);
    const [fill] = (await until(resumed.c, '8', (m) => m.get(11) === 'A-1')).slice(-1);
    expect(fill!.get(11)).toBe('A-1');
    expect(fill!.get(150)).toBe('F');
    expect(fill!.get(39)).toBe('2');
    resumed.send('AF', [
      [584, 'MS-R'],
      [585, '7'],
      [1, 'FIX1'],
    ]);
    const reports = await until(resumed.c, '8', (m) => m.get(912) === 'Y');
    // B-1 (FIX2) filled too: its report may come before the answer.
    expect(reports.filter((r) => r.get(584) === 'MS-R').map((r) => r.get(11))).toEqual(['A-2.r1']);
    // The ClOrdIDs used before the restart are still taken.
    resumed.send('D', order('A-1', 'FIX1', '1', 1, '19000'));
    const duplicate = await resumed.c.next('8');
    expect(duplicate.get(103)).toBe('6');
  });
});
