import fc from 'fast-check';
import { describe, it } from 'vitest';
import { SignalError, TradeNovaError } from '../../src/errors.js';
import { parseSignal } from '../../src/model/parse-signal.js';
import { parseReplay } from '../../src/replay/records.js';
import { answersOrRefuses, errorOf, fuzz, nastyValue, objectWith } from './harness.js';

const SIGNAL_KEYS = [
  'type',
  'action',
  'signalId',
  'leaderOrderId',
  'instrument',
  'side',
  'qty',
  'orderType',
  'limitPrice',
  'stopPrice',
  'fillPrice',
  'timeInForce',
  'bracket',
  'leaderPosition',
  'leg',
  'time',
  'detectedAt',
  'receivedAt',
  'leaderAccount',
  'bid',
  'ask',
  'price',
] as const;

/** Values close to valid ones, so the parser's deeper branches run, mixed with hostile ones. */
const field = fc.oneof(
  fc.constantFrom(
    'new',
    'modify',
    'cancel',
    'flatten',
    'signal',
    'quote',
    'trade',
    'buy',
    'sell',
    'market',
    'limit',
    'stop',
    'stop-limit',
    'NQZ5',
    'MNQ1!',
    '21000.25',
    '2025-11-24T14:30:00.000Z',
    'entry',
    'stop-loss',
    'gtc',
  ),
  fc.record({ stopLoss: fc.oneof(fc.record({ ticks: nastyValue() }), fc.record({ price: nastyValue() })) }),
  nastyValue(),
);
const signalObject = objectWith(SIGNAL_KEYS, field);

describe('fuzz: the signal parser', () => {
  it('parseSignal answers a signal or a SignalError', () => {
    fuzz('parse-signal', signalObject, (input) => {
      answersOrRefuses(() => parseSignal(input, { leaderAccount: 'L', now: 0 }, 1), errorOf(SignalError));
    });
  });

  it('a JSONL replay file never throws (bad lines are located errors)', () => {
    const line = fc.oneof(
      signalObject.map((o) => JSON.stringify(o)),
      fc.string({ unit: 'binary', maxLength: 80 }),
    );
    fuzz(
      'replay-jsonl',
      fc.array(line, { maxLength: 4 }).map((l) => l.join('\n')),
      (text) => {
        answersOrRefuses(
          () => parseReplay(text, 'jsonl'),
          () => false,
        );
      },
    );
  });

  it('a CSV replay file never throws except a located CSV syntax error', () => {
    const cell = fc.oneof(
      field.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))),
      fc.string({ maxLength: 12 }),
    );
    const csv = fc
      .tuple(
        fc.shuffledSubarray([...SIGNAL_KEYS, 'stopLossTicks', 'takeProfitPrice'], { minLength: 1 }),
        fc.array(fc.array(cell, { maxLength: 12 }), { maxLength: 6 }),
      )
      .map(([header, rows]) => [header.join(','), ...rows.map((r) => r.join(','))].join('\n'));
    fuzz('replay-csv', fc.oneof(csv, fc.string({ unit: 'binary', maxLength: 120 })), (text) => {
      answersOrRefuses(() => parseReplay(text, 'csv'), errorOf(TradeNovaError));
    });
  });
});
