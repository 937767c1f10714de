/**
 * The same sessions on paper and through every broker's simulator (`replay --brokers
 * simulated`): final positions, realized P&L and fills must be equal. Eight followers
 * with different rules, six of them on one login, two on another; the session works
 * orders, modifies and cancels them, rides brackets, exits in part, reverses and
 * flattens, over two instruments and a mapped one (issue 13).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulatedBrokers } from '../src/brokers/simulators.js';
import { replayCommand } from '../src/commands/replay.js';
import { main } from '../src/main.js';
import { captureIo } from './capture-io.js';

const sessions = resolve(import.meta.dirname, 'fixtures/sessions');
const dir = mkdtempSync(join(tmpdir(), 'tn-parity-'));

/** Eight followers: six on login `a`, two on login `b`. */
const FOLLOWERS: [name: string, login: 'a' | 'b', rule: string][] = [
  ['fixed-1', 'a', 'scaling: { mode: fixed, qty: 1 }'],
  ['double', 'a', 'scaling: { mode: multiplier, factor: 2 }'],
  ['half', 'a', 'scaling: { mode: multiplier, factor: 0.5 }\n    rounding: round'],
  ['inverse', 'a', 'inverse: true'],
  ['nq-as-mnq', 'a', 'symbolMap: { NQ: { to: MNQ, ratio: 10 } }'],
  ['triple-capped', 'a', 'scaling: { mode: multiplier, factor: 3 }\n    maxQty: 4'],
  ['fixed-2', 'b', 'scaling: { mode: fixed, qty: 2 }'],
  ['same', 'b', 'scaling: { mode: multiplier, factor: 1 }'],
];

/** A config with the followers on `broker`; `logins: 1` puts all of them on login `a`. */
function configFor(
  broker: string,
  options: { logins?: 1 | 2; followers?: number; engine?: string } = {},
): string {
  const followers = FOLLOWERS.slice(0, options.followers ?? FOLLOWERS.length);
  const lines = [
    'version: 1',
    ...(options.engine ? [`engine: ${options.engine}`] : []),
    'leader: { name: leader, broker: paper, account: SIM-LEADER }',
    'connections:',
    `  a: { broker: ${broker}, options: {} }`,
    ...(options.logins === 1 ? [] : [`  b: { broker: ${broker}, options: {} }`]),
    'followers:',
    ...followers.flatMap(([name, login, rule], i) => [
      `  - name: ${name}`,
      `    connection: ${options.logins === 1 ? 'a' : login}`,
      `    broker: ${broker}`,
      `    account: ACC-${i + 1}`,
      `    ${rule}`,
    ]),
  ];
  const file = join(
    dir,
    `${broker}-${options.logins ?? 2}-${followers.length}${options.engine ? '-engine' : ''}.yaml`,
  );
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

interface Report {
  accounts: {
    name: string;
    broker: string;
    positions: { contract: string; netQty: number }[];
    realizedPnl: string;
    fills: { contract: string; side: string; qty: number; price: string }[];
    orders: Record<string, number> & { timedOut: number; failed: number; rejected: number; placed: number };
    failed: { code: string; message: string }[];
    status: string[];
  }[];
  signals: { errors: unknown[] };
  latency: { clock: string; count: number; max: number };
}

async function replay(session: string, config: string, brokers: 'paper' | 'simulated', extra: string[] = []) {
  const c = captureIo();
  const code = await main(
    [
      'replay',
      join(sessions, session),
      '-c',
      config,
      '--json',
      '--no-progress',
      '--brokers',
      brokers,
      ...extra,
    ],
    c.io,
  );
  return { code, err: c.stderr(), report: JSON.parse(c.stdout()) as Report };
}

/**
 * What must be equal: open positions, realized P&L, the fills (time aside) and how orders
 * ended. `placed` aside: a broker without native brackets gets each bracket child as an
 * order of its own (paper has native brackets).
 */
function outcome(report: Report) {
  return report.accounts.map((a) => ({
    name: a.name,
    orders: { ...a.orders, placed: undefined },
    positions: a.positions.filter((p) => p.netQty !== 0).map((p) => `${p.contract} ${p.netQty}`),
    realizedPnl: a.realizedPnl,
    fills: a.fills.map((f) => `${f.side} ${f.qty} ${f.contract} @ ${f.price}`).sort(),
  }));
}

describe('the same session on paper and through each simulator', () => {
  const brokers = ['tradovate', 'projectx', 'rithmic', 'sierrachart', 'ninjatrader', 'fix'];
  let paper: Report | undefined;
  const paperOutcome = async () => {
    // Paper mode moves every follower to the paper broker: one run serves every comparison.
    paper ??= (await replay('order-life.jsonl', configFor('tradovate'), 'paper')).report;
    return paper;
  };

  for (const broker of brokers) {
    it(`${broker}: 8 followers (6 on one login) end with paper's positions, P&L and fills; a second run reproduces the report`, async () => {
      const expected = await paperOutcome();
      const out = join(dir, `${broker}-report.json`);
      const wire = await replay('order-life.jsonl', configFor(broker), 'simulated', ['--out', out]);
      expect(wire.err).toBe('');
      expect(wire.code).toBe(0);
      expect(wire.report.accounts.every((a) => a.broker === broker)).toBe(true);
      expect(wire.report.accounts.flatMap((a) => a.failed)).toEqual([]);
      // NinjaTrader's files give no price for the close of a flatten: the engine books it where
      // paper fills it, a sell at the bid and a buy at the ask, so its P&L equals paper's too.
      expect(outcome(wire.report)).toEqual(outcome(expected));
      // The session did trade: every follower filled at least four times.
      expect(wire.report.accounts.every((a) => a.fills.length >= 4)).toBe(true);
      // Times come from the replay clock: the first entry filled at its recorded time.
      expect(wire.report.accounts[0]!.fills[0]).toMatchObject({ time: '2025-11-24T14:30:05.000Z' });
      // Latency is measured on the wall clock (the virtual one stands still while sockets work).
      expect(wire.report.latency).toMatchObject({ clock: 'wall' });
      expect(wire.report.latency.max).toBeGreaterThan(0);
      // The same session again matches the first report, the named unreproducible fields aside.
      const again = await replay('order-life.jsonl', configFor(broker), 'simulated', ['--expect', out]);
      expect(again.err).toBe('');
      expect(again.code).toBe(0);
    });
  }
});

describe('a generated session (modifies and cancels of orders that already filled) on paper and each simulator', () => {
  const brokers = ['tradovate', 'projectx', 'rithmic', 'sierrachart', 'fix'];
  let paper: Report | undefined;
  for (const broker of brokers) {
    it(`${broker}: generated-1 ends with paper's positions, P&L, fills and order outcomes`, async () => {
      paper ??= (await replay('generated-1.jsonl', configFor('tradovate'), 'paper')).report;
      const wire = await replay('generated-1.jsonl', configFor(broker), 'simulated');
      expect(wire.err).toBe('');
      expect(wire.code).toBe(0);
      // A modify of an order that has filled is the broker's reject everywhere, never a local "unknown order".
      expect(wire.report.accounts[0]!.orders.rejected).toBeGreaterThan(0);
      expect(outcome(wire.report)).toEqual(outcome(paper));
    });
  }
});

describe('many followers on one login (issue 13, defects 5 and 6)', () => {
  it('Rithmic: a modify right after the entry reaches all 8 followers on one login', async () => {
    const config = configFor('rithmic', { logins: 1 });
    const wire = await replay('modify-at-once.jsonl', config, 'simulated');
    const paper = await replay('modify-at-once.jsonl', config, 'paper');
    expect(wire.err).toBe('');
    expect(wire.report.accounts.flatMap((a) => a.failed)).toEqual([]);
    expect(wire.code).toBe(0);
    expect(outcome(wire.report)).toEqual(outcome(paper.report));
  });

  it('ProjectX: 32 signals for 8 followers on one API key (over 200 requests) give a report equal to paper', async () => {
    const config = configFor('projectx', { logins: 1 });
    const wire = await replay('many-signals.jsonl', config, 'simulated');
    const paper = await replay('many-signals.jsonl', config, 'paper');
    expect(wire.err).toBe('');
    expect(wire.code).toBe(0);
    const placed = wire.report.accounts.reduce((n, a) => n + (a.orders.placed ?? 0), 0);
    expect(placed).toBeGreaterThan(200);
    expect(outcome(wire.report)).toEqual(outcome(paper.report));
  });

  it('a broker that stops reporting mid-session gives a report that says so, not an abort', async () => {
    const config = configFor('rithmic', { logins: 1, followers: 3 });
    const sims = await startSimulatedBrokers();
    let fills = 0;
    const c = captureIo();
    const code = await replayCommand(
      join(sessions, 'order-life.jsonl'),
      { config, json: true, brokers: 'simulated' },
      c.io,
      {
        settleTimeoutMs: 1_500,
        close: () => sims.close(),
        connect: async (plan, session) => {
          const made = await sims.connect(plan, session);
          // After the first fill the exchange still trades but reports nothing more.
          made.exchange.onEvent((event) => {
            if (event.type === 'order-filled' && ++fills === 1) made.exchange.faults.reportDelayMs = 600_000;
          });
          return made;
        },
      },
    );
    expect(code).toBe(1);
    const report = JSON.parse(c.stdout()) as Report;
    expect(report.accounts).toHaveLength(3);
    for (const a of report.accounts) {
      expect(a.status.some((s) => /broker-unresponsive: a did not (answer|settle)/.test(s))).toBe(true);
    }
    expect(c.stderr()).toMatch(
      /a simulated broker stopped answering; the report records how its orders ended/,
    );
  });

  it('a broker that stops answering requests mid-session: the replay finishes and records its orders as timed out', async () => {
    const config = configFor('rithmic', { logins: 1, followers: 3, engine: '{ orderDeadlineMs: 300 }' });
    const sims = await startSimulatedBrokers();
    let fills = 0;
    const c = captureIo();
    const code = await replayCommand(
      join(sessions, 'order-life.jsonl'),
      { config, json: true, brokers: 'simulated' },
      c.io,
      {
        settleTimeoutMs: 1_500,
        close: () => sims.close(),
        connect: async (plan, session) => {
          const made = await sims.connect(plan, session);
          // After the first fill every request waits ten minutes: the gateway answers nothing more.
          made.exchange.onEvent((event) => {
            if (event.type === 'order-filled' && ++fills === 1) made.exchange.faults.extraLatencyMs = 600_000;
          });
          return made;
        },
      },
    );
    const report = JSON.parse(c.stdout()) as Report;
    expect(code).toBe(1);
    expect(c.stderr()).toMatch(/replay: \d+ orders? timed out and \d+ failed at the simulated brokers/);
    for (const a of report.accounts) {
      expect(a.orders.timedOut).toBeGreaterThan(0);
      expect(a.orders.timedOut + (a.orders.failed ?? 0)).toBeGreaterThanOrEqual(5);
    }
  });
});
