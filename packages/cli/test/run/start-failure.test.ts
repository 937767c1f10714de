import { BrokerDisconnectedError, ErrorCode, parseEngineConfig, TradeNovaError } from '@tradenova/core';
import { planConnections } from '@tradenova/core/engine';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { explainStartFailure } from '../../src/run/start-failure.js';

const config = parseEngineConfig({
  leader: { broker: 'tradovate', connection: 'tv', account: 'L1' },
  connections: {
    tv: { broker: 'tradovate', options: {} },
    rith: { broker: 'rithmic', options: {} },
  },
  followers: [
    { name: 'tv-1', broker: 'tradovate', connection: 'tv', account: 'A1' },
    { name: 'r-1', broker: 'rithmic', connection: 'rith', account: 'R1' },
    { name: 'r-off', broker: 'rithmic', connection: 'rith', account: 'R2', enabled: false },
    { name: 'p-1', broker: 'paper', account: 'P1' },
  ],
});
const plans = planConnections(config);
const explain = (error: unknown, open: string[], triedMs = 0) =>
  explainStartFailure(error, { config, plans, open, triedMs, redact: (t) => t.replaceAll('hunter2', '***') });

describe('a start that could not open its broker connections', () => {
  it('names every connection not open, whom it serves (the leader too, enabled followers only) and how long it tried', () => {
    const out = explain(
      new BrokerDisconnectedError('rithmic', 'socket closed (password hunter2)'),
      ['paper'],
      61_400,
    );
    expect(out).toBeInstanceOf(CliError);
    expect((out as CliError).exitCode).toBe(2);
    expect((out as Error).message.split('\n')).toEqual([
      `could not open broker connections (tried for 61 s): ${ErrorCode.BrokerDisconnected}: rithmic: socket closed (password ***)`,
      '  connection tv (tradovate), for the leader and follower tv-1',
      '  connection rith (rithmic), for follower r-1',
      'Nothing was copied. Check connections.{tv, rith} (where the broker listens, the login), or set `enabled: false` on the followers it serves to run without them.',
    ]);
  });

  it('leaves other failures as they are: connections all open, a stop, an error that is not ours', () => {
    const open = plans.map((p) => p.key);
    const ours = new BrokerDisconnectedError('rithmic', 'gone');
    expect(explain(ours, open)).toBe(ours);
    const stopped = new TradeNovaError(ErrorCode.EngineStopped, 'stopped while starting');
    expect(explain(stopped, [])).toBe(stopped);
    const bug = new TypeError('x is undefined');
    expect(explain(bug, [])).toBe(bug);
  });
});
