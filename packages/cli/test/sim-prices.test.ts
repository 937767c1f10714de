import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultInstruments, frontMonth } from '@tradenova/core';
import { afterEach, describe, expect, it } from 'vitest';
import { simCommand } from '../src/commands/sim.js';
import { captureIo } from './capture-io.js';

/*
 * `tradenova sim <broker>` with prices: an outside tool trading against a standalone
 * simulator gets fills. Driven over the wire with a raw FIX client (no TradeNova adapter),
 * as an outside tool would.
 */

const MNQ = frontMonth(defaultInstruments.get('MNQ'), Date.now());
const MATURITY = `${MNQ.year}${String('FGHJKMNQUVXZ'.indexOf(MNQ.month) + 1).padStart(2, '0')}`;

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

/** Starts `tradenova sim fix` in-process; resolves with its port and output once it is up. */
async function simFix(prices?: string) {
  const c = captureIo();
  let stop!: () => void;
  const stopped = new Promise<void>((r) => {
    stop = r;
  });
  const run = simCommand('fix', { port: 0, ...(prices ? { prices } : {}) }, c.io, stopped);
  cleanup.push(async () => {
    stop();
    await run.catch(() => {});
  });
  await expect.poll(() => c.stdout(), { timeout: 10_000 }).toMatch(/fix\s+127\.0\.0\.1:\d+/);
  const port = Number(/fix\s+127\.0\.0\.1:(\d+)/.exec(c.stdout())![1]);
  return { port, out: c.stdout, run, stop };
}

/** Logs a raw FIX 4.4 client on and sends a market buy of 1 front-month MNQ; returns the final report. */
async function marketBuy(port: number) {
  const { RawFixClient, fixTime } = await import('../../adapter-others/test/fix/raw-client.js');
  const client = await RawFixClient.open(port, { beginString: 'FIX.4.4', sender: 'TOOL', target: 'FIXSIM' });
  cleanup.push(() => client.close());
  client.logon(1);
  await client.next('A');
  client.send('D', 2, [
    [11, 'tool-1'],
    [1, 'FIX1'],
    [55, 'MNQ'],
    [167, 'FUT'],
    [200, MATURITY],
    [207, 'CME'],
    [54, '1'],
    [60, fixTime()],
    [38, 1],
    [40, '1'],
  ]);
  for (;;) {
    const report = await client.next('8', 10_000);
    if (['2', '8'].includes(report.get(39)!)) return report;
  }
}

describe('tradenova sim --prices', () => {
  it('random-walks prices by default, so a market order from an outside tool fills', async () => {
    const { port, out } = await simFix();
    expect(out()).toMatch(/prices\s+random walk every 250 ms for .*MNQZ\d+/);
    const report = await marketBuy(port);
    expect([report.get(39), report.get(32)]).toEqual(['2', '1']);
    expect(Number(report.get(31))).toBeGreaterThan(0);
  });

  it("plays a session file's quotes, so the fill is at the file's offer", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-sim-prices-'));
    const file = join(dir, 'prices.jsonl');
    const symbol = `MNQ${MNQ.month}${MNQ.year % 100}`;
    writeFileSync(
      file,
      [
        `{"time":"2026-01-05T14:30:00.000Z","type":"quote","instrument":"${symbol}","bid":"21000.00","ask":"21000.25"}`,
        `{"time":"2026-01-05T14:30:00.000Z","signalId":"s-1","action":"new","leaderOrderId":"L-1","instrument":"${symbol}","side":"buy","qty":1,"orderType":"market"}`,
      ].join('\n'),
    );
    const { port, out } = await simFix(file);
    expect(out()).toMatch(/prices\s+1 quote\/trade lines of .*prices\.jsonl/);
    const report = await marketBuy(port);
    expect([report.get(39), report.get(31)]).toEqual(['2', '21000.25']);
  });

  it('refuses a session file with a bad line, naming the file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-sim-prices-'));
    const file = join(dir, 'bad.jsonl');
    writeFileSync(
      file,
      '{"time":"2026-01-05T14:30:00.000Z","type":"quote","instrument":"MNQZ6","bid":"21000.00"}\n',
    );
    const c = captureIo();
    await expect(simCommand('fix', { port: 0, prices: file }, c.io, Promise.resolve())).rejects.toThrow(
      new RegExp(`${file.replaceAll('/', '\\/')}:1: ask`),
    );
  });
});
