import { parseSignal, SignalError } from '@tradenova/core';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { answersOrRefuses, fuzz, nastyValue, objectWith } from '../../../core/test/fuzz/harness.js';
import { parseConfigText } from '../../src/config/load-config.js';
import { describeFailure, ExitCode } from '../../src/errors.js';
import { alertToSignal } from '../../src/sources/webhook/alert.js';

/** Every exit code but 70 is an answer: the property is "never an internal error". */
const notInternal = (error: unknown) => describeFailure(error).exitCode !== ExitCode.Internal;

const KEYS = [
  'leader',
  'followers',
  'connections',
  'paper',
  'engine',
  'services',
  'sources',
  'marketData',
  'version',
  'name',
  'account',
  'broker',
  'connection',
  'scaling',
  'mode',
  'factor',
  'qty',
  'risk',
  'maxOrderQty',
  'symbolMap',
  'options',
  'kind',
  'port',
  'token',
  'journal',
  'url',
  '__proto__',
  'constructor',
  'tradingWindows',
  'start',
];

/** YAML-ish documents: real structure with hostile scalars, anchors, aliases, tags and syntax debris. */
const yamlText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .array(
      fc.tuple(
        fc.nat({ max: 4 }),
        fc.constantFrom(...KEYS),
        fc.oneof(
          fc.constantFrom(
            '',
            '&a',
            '*a',
            '!!binary',
            '!!js/function',
            '[',
            '{',
            '}',
            '- x',
            '"\\u0000"',
            '~',
            '.nan',
            '-.inf',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own reference syntax
            '${env:HOME}',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own reference syntax
            '${secret:x}',
            '0x1F',
            '1e400',
            '<<: *a',
            '? k',
            '|',
            '>-',
            '@',
            '`',
            '%YAML 1.1',
          ),
          fc.string({ maxLength: 12 }),
          fc.integer().map(String),
        ),
      ),
      { maxLength: 14 },
    )
    .map((lines) => lines.map(([indent, key, value]) => `${'  '.repeat(indent)}${key}: ${value}`).join('\n')),
);

describe('fuzz: the YAML config loader', () => {
  it('answers a config or a located error, never exit 70', () => {
    fuzz('config-yaml', yamlText, (text) => {
      answersOrRefuses(
        () => parseConfigText(text, 'fuzz.yaml', { env: {}, secret: () => undefined }),
        notInternal,
      );
    });
  });
});

describe('fuzz: the webhook body', () => {
  it('an alert becomes a signal or a SignalError', () => {
    const alertKeys = [
      'action',
      'ticker',
      'contracts',
      'orderType',
      'price',
      'limitPrice',
      'stopPrice',
      'stopLoss',
      'takeProfit',
      'id',
      'time',
      'timenow',
      'position',
      'signalId',
      'alertId',
      'qty',
      'instrument',
      'side',
      'leaderOrderId',
    ];
    const value = fc.oneof(
      fc.constantFrom(
        'buy',
        'sell',
        'flat',
        'close',
        'exit',
        'new',
        'flatten',
        'MNQ1!',
        'NQZ2025',
        'ES',
        'limit',
        'market',
        'stop',
        '21000.25',
        '{{ticker}}',
        '2025-11-24T14:30:00Z',
        'BUY ',
      ),
      nastyValue(),
    );
    fuzz('webhook-body', objectWith(alertKeys, value), (body) => {
      answersOrRefuses(
        () => {
          const raw = alertToSignal(body, { now: 1_764_000_000_000, sequence: 1 });
          parseSignal(raw, { leaderAccount: 'L', now: 1_764_000_000_000 });
        },
        (e) => e instanceof SignalError,
      );
    });
  });
});
