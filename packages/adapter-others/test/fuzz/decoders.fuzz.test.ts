import { defaultInstruments, TradeNovaError } from '@tradenova/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  answersOrRefuses,
  errorOf,
  fuzz,
  jsonish,
  nastyValue,
  objectWith,
} from '../../../core/test/fuzz/harness.js';
import { parseExecReport } from '../../src/fix/parse.js';
import {
  classifyOutgoingName,
  parseConnectionFile,
  parseOrderStateFile,
  parsePositionFile,
} from '../../src/ninjatrader/parse.js';
import {
  fillOfOrderUpdate,
  type ParseContext,
  parseHistoricalFill,
  parseOrderUpdate,
  parsePositionUpdate,
} from '../../src/sierrachart/parse.js';
import { sierraSymbols } from '../../src/sierrachart/symbols.js';
import type { DtcHistoricalFill, DtcOrderUpdate, DtcPositionUpdate } from '../../src/sierrachart/wire.js';
import { decodeEncodingMessage, decodeJson, encodeJson, NulFramer } from '../../src/sierrachart/wire.js';

const DTC_KEYS = [
  'Type',
  'Symbol',
  'ServerOrderID',
  'ClientOrderID',
  'TradeAccount',
  'OrderType',
  'BuySell',
  'OrderStatus',
  'OrderQuantity',
  'FilledQuantity',
  'Price1',
  'Price2',
  'OrderUpdateReason',
  'LastFillExecutionID',
  'LastFillQuantity',
  'LastFillPrice',
  'LastFillDateTime',
  'LatestTransactionDateTime',
  'ParentServerOrderID',
  'InfoText',
  'NoOrders',
  'NoPositions',
  'Quantity',
  'AveragePrice',
  'NoOrderFills',
  'UniqueExecutionID',
  'Price',
  'DateTime',
];
const dtcValue = fc.oneof(
  fc.constantFrom('MNQZ25-CME', 'NQH26-CME', 'ESZ5', 1, 2, 3, 4, 5, 6, 7, 1.7976931348623157e308),
  nastyValue(),
);
const symbols = sierraSymbols('{root}{month}{yy}-{exchange}');
const ctx: ParseContext = {
  contractOf: (s) => symbols.parse(s, Date.UTC(2025, 10, 1)),
  tickSize: (c) => defaultInstruments.get(c.root).tickSize,
  now: 0,
};

/**
 * DTC decoders answer a value, `undefined` for what they do not know, or a TradeNovaError
 * (an unknown symbol is an InstrumentError). A TypeError is a crash of the connection's handler.
 */
const dtcTyped = errorOf(TradeNovaError);

describe('fuzz: DTC (Sierra Chart) framing and messages', () => {
  it('NUL framing of a byte stream in random pieces gives back the JSON messages, or a bounded-size refusal', () => {
    const stream = fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 40 }),
        fc.json().map((j) => Uint8Array.from(Buffer.from(`${j}\u0000`))),
      ),
      { maxLength: 8 },
    );
    fuzz('dtc-nul-framing', stream, (chunks) => {
      const framer = new NulFramer(256);
      answersOrRefuses(
        () => {
          for (const chunk of chunks) for (const frame of framer.push(Buffer.from(chunk))) decodeJson(frame);
        },
        (e) => e instanceof RangeError && /frame limit/.test(e.message),
      );
    });
  });

  it('the binary encoding message decodes or waits for more bytes', () => {
    fuzz('dtc-binary-encoding', fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const m = decodeEncodingMessage(Buffer.from(bytes));
      if (m) expect(m.size).toBeLessThanOrEqual(bytes.length);
    });
  });

  it('a JSON message of any shape becomes an order, position or fill, undefined, or a typed error', () => {
    const message = fc.oneof(
      objectWith(DTC_KEYS, dtcValue),
      jsonish().map((t) => decodeJson(t) ?? {}),
    );
    fuzz('dtc-json-messages', message, (m) => {
      const decoded =
        decodeJson(
          encodeJson(m as never)
            .toString('utf8')
            .slice(0, -1),
        ) ?? (m as never);
      answersOrRefuses(() => {
        const order = parseOrderUpdate(decoded as DtcOrderUpdate, ctx);
        if (order) fillOfOrderUpdate(decoded as DtcOrderUpdate, order, ctx.tickSize(order.contract));
      }, dtcTyped);
      answersOrRefuses(() => parsePositionUpdate(decoded as DtcPositionUpdate, ctx), dtcTyped);
      answersOrRefuses(() => parseHistoricalFill(decoded as DtcHistoricalFill, ctx), dtcTyped);
    });
  });
});

describe('fuzz: FIX execution reports', () => {
  it('any field values give a normalized report', () => {
    const keys = [
      'ExecType',
      'ExecTransType',
      'OrdStatus',
      'OrderID',
      'ClOrdID',
      'OrigClOrdID',
      'ExecID',
      'Account',
      'Side',
      'OrderQty',
      'OrdType',
      'Price',
      'StopPx',
      'LastQty',
      'LastShares',
      'LastPx',
      'CumQty',
      'LeavesQty',
      'Text',
      'PossDupFlag',
      'TransactTime',
      'Symbol',
      'MaturityMonthYear',
      'SecurityID',
    ];
    // What jspurefix hands over: strings, numbers, booleans, dates and buffers.
    const value = fc.oneof(
      fc.constantFrom(
        '0',
        '1',
        '2',
        '4',
        '8',
        'F',
        'G',
        'Y',
        'N',
        '21000.25',
        '',
        Number.NaN,
        Infinity,
        1e21,
        -1,
      ),
      fc.date({ noInvalidDate: false }),
      fc.string({ maxLength: 12 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
    );
    fuzz(
      'fix-exec-report',
      fc.tuple(fc.constantFrom('4.2' as const, '4.4' as const), objectWith(keys, value)),
      ([version, fields]) => {
        answersOrRefuses(() => parseExecReport(version, fields), errorOf(TradeNovaError));
      },
    );
  });
});

describe('fuzz: NinjaTrader outgoing files', () => {
  it('file names and contents parse or are undefined, never throw', () => {
    const text = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('FILLED', 'WORKING', 'LONG', 'SHORT', 'FLAT', 'CONNECTED', ''),
          nastyValue(),
          nastyValue(),
        )
        .map((p) =>
          p.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(';'),
        ),
      fc.string({ unit: 'binary', maxLength: 60 }),
    );
    const name = fc.oneof(
      fc.string({ maxLength: 40 }).map((s) => `${s}.txt`),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constant('MNQ 12-25 Default_Sim101_position.txt'),
    );
    fuzz('ninjatrader-outgoing', fc.tuple(name, text), ([n, t]) => {
      classifyOutgoingName(n);
      const order = parseOrderStateFile(t);
      if (order) expect(Number.isSafeInteger(order.filledQty) && Number.isFinite(order.avgPrice)).toBe(true);
      const position = parsePositionFile(t);
      if (position) expect(Number.isSafeInteger(position.netQty)).toBe(true);
      parseConnectionFile(t);
    });
  });
});

describe('fuzz regressions', () => {
  it('a FIX field holding an Invalid Date is absent, not a RangeError', () => {
    const report = parseExecReport('4.4', {
      ExecType: 'F',
      LastPx: new Date(Number.NaN),
      TransactTime: new Date(Number.NaN),
    });
    expect(report.lastPx).toBeUndefined();
    expect(report.time).toBeUndefined();
  });

  it('a DTC message whose Symbol is not a string is not understood, not a TypeError', () => {
    const m = { Type: 301, Symbol: 1.7976931348623157e308, ServerOrderID: '1', OrderType: 1, BuySell: 1 };
    expect(parseOrderUpdate(m as unknown as DtcOrderUpdate, ctx)).toBeUndefined();
    expect(parsePositionUpdate(m as unknown as DtcPositionUpdate, ctx)).toBeUndefined();
    expect(
      parseHistoricalFill({ ...m, UniqueExecutionID: 'x' } as unknown as DtcHistoricalFill, ctx),
    ).toBeUndefined();
  });
});
