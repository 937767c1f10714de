import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePlugin } from '../src/brokers/plugins.js';
import { startSimulator } from '../src/brokers/simulators.js';
import { simCommand } from '../src/commands/sim.js';
import { main } from '../src/main.js';
import { captureIo } from './capture-io.js';

const root = resolve(import.meta.dirname, '../../..');
const session = join(root, 'examples/signals/session.jsonl');
const tradovateConfig = join(root, 'examples/tradovate.yaml');

async function replayJson(args: string[], config = tradovateConfig) {
  const c = captureIo();
  const code = await main(['replay', session, '-c', config, '--json', ...args], c.io);
  return { code, err: c.stderr(), report: c.stdout() ? JSON.parse(c.stdout()) : undefined };
}

/** What must be equal between brokers: positions, P&L and the fills (time aside: the wire runs on wall time). */
function outcome(report: {
  accounts: {
    name: string;
    positions: unknown;
    realizedPnl: string;
    fills: { contract: string; side: string; qty: number; price: string }[];
  }[];
}) {
  return report.accounts.map((a) => ({
    name: a.name,
    positions: a.positions,
    realizedPnl: a.realizedPnl,
    fills: a.fills.map((f) => `${f.side} ${f.qty} ${f.contract} @ ${f.price}`).sort(),
  }));
}

describe('replay --brokers simulated', () => {
  it('copies through the Tradovate simulator over real sockets with the same outcome as the paper broker', async () => {
    const paper = await replayJson(['--brokers', 'paper']);
    const wire = await replayJson(['--brokers', 'simulated']);
    expect(wire.err).toBe('');
    expect(wire.code).toBe(0);
    expect(wire.report.accounts.every((a: { broker: string }) => a.broker === 'tradovate')).toBe(true);
    expect(paper.report.accounts.every((a: { broker: string }) => a.broker === 'paper')).toBe(true);
    expect(outcome(wire.report)).toEqual(outcome(paper.report));
    expect(wire.report.accounts[0].fills.length).toBeGreaterThan(5);
  });

  it('copies through the Sierra Chart DTC simulator with the same outcome as the paper broker', async () => {
    const config = join(root, 'examples/sierrachart.yaml');
    const paper = await replayJson(['--brokers', 'paper'], config);
    const wire = await replayJson(['--brokers', 'simulated'], config);
    expect(wire.err).toBe('');
    expect(wire.code).toBe(0);
    expect(wire.report.accounts.every((a: { broker: string }) => a.broker === 'sierrachart')).toBe(true);
    expect(outcome(wire.report)).toEqual(outcome(paper.report));
  });

  it('copies through the Rithmic simulator (protobuf over WebSocket) with the same outcome as the paper broker', async () => {
    const config = join(root, 'examples/rithmic.yaml');
    const paper = await replayJson(['--brokers', 'paper'], config);
    const wire = await replayJson(['--brokers', 'simulated'], config);
    expect(wire.err).toBe('');
    expect(wire.code).toBe(0);
    expect(wire.report.accounts.every((a: { broker: string }) => a.broker === 'rithmic')).toBe(true);
    expect(outcome(wire.report)).toEqual(outcome(paper.report));
  });

  it('copies through the ProjectX simulator (engine-held brackets, SignalR hub) with the same outcome as the paper broker', async () => {
    const config = join(root, 'examples/projectx.yaml');
    const paper = await replayJson(['--brokers', 'paper'], config);
    const wire = await replayJson(['--brokers', 'simulated'], config);
    expect(wire.err).toBe('');
    expect(wire.code).toBe(0);
    expect(wire.report.accounts.every((a: { broker: string }) => a.broker === 'projectx')).toBe(true);
    expect(outcome(wire.report)).toEqual(outcome(paper.report));
  });

  it('copies through the NinjaTrader OIF simulator (files in a temp folder) to the same final positions as the paper broker', async () => {
    const config = join(root, 'examples/ninjatrader.yaml');
    const paper = await replayJson(['--brokers', 'paper'], config);
    const wire = await replayJson(['--brokers', 'simulated'], config);
    expect(wire.err).toBe('');
    expect(wire.code).toBe(0);
    expect(wire.report.accounts.every((a: { broker: string }) => a.broker === 'ninjatrader')).toBe(true);
    // Positions and fills match; realized P&L may not: NinjaTrader's files give no price for
    // the close of a flatten, which is booked at the engine's last market price (an estimate).
    const positions = (r: {
      accounts: { name: string; positions: { contract: string; netQty: number }[] }[];
    }) => r.accounts.map((a) => `${a.name} ${a.positions.map((p) => `${p.contract}:${p.netQty}`).join(',')}`);
    expect(positions(wire.report)).toEqual(positions(paper.report));
    expect(wire.report.accounts.map((a: { orders: { filled: number } }) => a.orders.filled)).toEqual(
      paper.report.accounts.map((a: { orders: { filled: number } }) => a.orders.filled),
    );
  });

  it('copies through the FIX 4.4 simulator (jspurefix acceptor over TCP) with the same outcome as the paper broker', async () => {
    const config = join(root, 'examples/fix.yaml');
    const paper = await replayJson(['--brokers', 'paper'], config);
    const wire = await replayJson(['--brokers', 'simulated'], config);
    expect(wire.err).toBe('');
    expect(wire.code).toBe(0);
    expect(wire.report.accounts.every((a: { broker: string }) => a.broker === 'fix')).toBe(true);
    // Positions include unrealized P&L: marked here by prices that went out through the dxLink
    // simulator and back through the dxFeed client, and they equal the paper run's direct marks.
    expect(outcome(wire.report)).toEqual(outcome(paper.report));
    expect(wire.report.accounts[0].fills.length).toBeGreaterThan(5);
    expect(wire.report.marketData).toMatchObject({ source: 'dxfeed' });
    expect(wire.report.marketData.prices).toBeGreaterThan(wire.report.input.quotes);
    expect(paper.report.marketData).toBeUndefined();
  });

  it('marks open positions from the dxLink feed exactly as the paper run marks them directly', async () => {
    // A session that ends in a trade: the final unrealized P&L comes from the last price.
    const dir = mkdtempSync(join(tmpdir(), 'tn-feed-'));
    const file = join(dir, 'open.jsonl');
    writeFileSync(
      file,
      [
        {
          time: '2025-11-24T14:30:00.000Z',
          type: 'quote',
          instrument: 'MNQZ5',
          bid: '21000.00',
          ask: '21000.25',
        },
        {
          time: '2025-11-24T14:30:05.000Z',
          signalId: 'o-1',
          action: 'new',
          leaderOrderId: 'L-1',
          instrument: 'MNQZ5',
          side: 'buy',
          qty: 2,
          orderType: 'market',
          fillPrice: '21000.25',
        },
        {
          time: '2025-11-24T14:31:00.000Z',
          type: 'quote',
          instrument: 'MNQZ5',
          bid: '21010.00',
          ask: '21010.25',
        },
        { time: '2025-11-24T14:31:00.500Z', type: 'trade', instrument: 'MNQZ5', price: '21010.00' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const config = join(root, 'examples/fix.yaml');
    const run = async (brokers: string) => {
      const c = captureIo();
      const code = await main(['replay', file, '-c', config, '--json', '--brokers', brokers], c.io);
      expect(c.stderr()).toBe('');
      return { code, report: JSON.parse(c.stdout()) };
    };
    const paper = await run('paper');
    const wire = await run('simulated');
    expect(wire.code).toBe(0);
    // Two quotes, the entry's fill price and the last trade.
    expect(wire.report.marketData).toEqual({ source: 'dxfeed', prices: 4 });
    const unrealized = (r: { accounts: { name: string; unrealizedPnl: string }[] }) =>
      r.accounts.map((a) => `${a.name} ${a.unrealizedPnl}`);
    expect(unrealized(wire.report)).toEqual(unrealized(paper.report));
    // Long 1 bought at 21000.25, marked at the last trade, 21010.00: 39 ticks × 0.50 USD.
    expect(unrealized(wire.report)[0]).toBe('fix-fixed-1 19.50');
  });
});

describe('adapter resolution', () => {
  it('resolves built-in brokers and refuses unknown ones by name', async () => {
    expect((await resolvePlugin('tradovate')).name).toBe('tradovate');
    expect((await resolvePlugin('paper')).name).toBe('paper');
    await expect(resolvePlugin('nosuchbroker')).rejects.toThrow(
      /unknown broker "nosuchbroker" \(known: .*tradovate/,
    );
  });

  it('refuses a plugin written for another contract version', async () => {
    const file = join(root, 'packages/cli/test/fixtures/old-adapter.mjs');
    await expect(resolvePlugin(`module:${file}`)).rejects.toThrow(/implements contract v0/);
  });
});

describe('tradenova sim', () => {
  it('serves the Tradovate REST API until stopped', async () => {
    const c = captureIo();
    const out = () => c.stdout();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    const run = simCommand('tradovate', { port: 0, accounts: 'SIM1,SIM2' }, c.io, stopped);
    await expect.poll(out, { timeout: 5000 }).toMatch(/rest\s+http:\/\/127\.0\.0\.1:\d+\/v1/);
    const url = /rest\s+(\S+)/.exec(out())![1]!;
    const res = await fetch(`${url}/auth/accesstokenrequest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', password: 'y', appId: 'test', appVersion: '1' }),
    });
    expect(res.status).toBe(200);
    expect(out()).toMatch(/accounts\s+SIM1, SIM2/);
    stop();
    expect(await run).toBe(0);
  });

  it('serves FIX 4.4 on the given port until stopped: a raw Logon is answered', async () => {
    const c = captureIo();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    const run = simCommand('fix', { port: 0 }, c.io, stopped);
    await expect.poll(() => c.stdout(), { timeout: 10_000 }).toMatch(/fix\s+127\.0\.0\.1:\d+/);
    const port = Number(/fix\s+127\.0\.0\.1:(\d+)/.exec(c.stdout())![1]);
    const { RawFixClient } = await import('../../adapter-others/test/fix/raw-client.js');
    const client = await RawFixClient.open(port, { beginString: 'FIX.4.4', sender: 'CLI', target: 'FIXSIM' });
    client.logon(1);
    expect((await client.next('A')).get(56)).toBe('CLI');
    client.close();
    expect(c.stdout()).toMatch(/accounts\s+FIX1, FIX2/);
    stop();
    expect(await run).toBe(0);
  });

  it('serves dxLink quotes that random-walk once a symbol is subscribed', async () => {
    const c = captureIo();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    const run = simCommand('dxfeed', { port: 0 }, c.io, stopped);
    await expect.poll(() => c.stdout(), { timeout: 10_000 }).toMatch(/dxlink\s+ws:\/\/127\.0\.0\.1:\d+/);
    const url = /dxlink\s+(\S+)/.exec(c.stdout())![1]!;
    const { DxFeedMarketData } = await import('@tradenova/adapter-others/dxfeed');
    const { defaultInstruments } = await import('@tradenova/core');
    const source = new DxFeedMarketData({ url }, { instruments: defaultInstruments });
    const contract = { root: 'MNQ', month: 'Z' as const, year: 2026 };
    source.subscribe([contract]);
    await source.start();
    const prices = new Set<number>();
    source.onTrade((t) => prices.add(t.priceTicks));
    await expect.poll(() => prices.size, { timeout: 10_000 }).toBeGreaterThan(1);
    await source.stop();
    stop();
    expect(await run).toBe(0);
  });

  it('names the simulators there are when asked for one that is not', async () => {
    await expect(startSimulator('nosuch')).rejects.toThrow(
      /no simulator for broker "nosuch"; simulators: tradovate/,
    );
  });
});
