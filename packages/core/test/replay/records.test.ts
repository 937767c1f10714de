import { describe, expect, it } from 'vitest';
import { parseReplay } from '../../src/index.js';
import { replayFormatOf } from '../../src/replay/index.js';

describe('replay files', () => {
  it('reads JSON lines, skipping blanks and comments', () => {
    const text = [
      '# a session',
      '{"time":"2025-11-24T14:30:00.000Z","type":"quote","instrument":"MNQZ5","bid":"21000.00","ask":"21000.25"}',
      '',
      '{"time":1764000000000,"signalId":"s1","action":"flatten"}',
    ].join('\n');
    const { records, errors } = parseReplay(text, 'jsonl');
    expect(errors).toEqual([]);
    expect(records.map((r) => [r.kind, r.line])).toEqual([
      ['quote', 2],
      ['signal', 4],
    ]);
  });

  it('reads CSV with bracket columns into the same records', () => {
    const text = [
      'time,type,action,signalId,leaderOrderId,instrument,side,qty,orderType,fillPrice,stopLossTicks,takeProfitPrice,bid,ask',
      '2025-11-24T14:30:00.000Z,quote,,,,MNQZ5,,,,,,,21000.00,21000.25',
      '2025-11-24T14:30:05.000Z,signal,new,s-1,L-1,MNQZ5,buy,2,market,21000.25,40,21020.25,,',
    ].join('\n');
    const { records, errors } = parseReplay(text, 'csv');
    expect(errors).toEqual([]);
    expect(records[1]).toMatchObject({
      kind: 'signal',
      line: 3,
      raw: {
        signalId: 's-1',
        qty: 2,
        bracket: { stopLoss: { ticks: 40 }, takeProfit: { price: '21020.25' } },
      },
    });
    expect(replayFormatOf('x.CSV')).toBe('csv');
  });

  it('names the line and field of a bad line and keeps the rest', () => {
    const text = [
      '{"time":"2025-11-24T14:30:00.000Z","signalId":"s1","action":"new","leaderOrderId":"L","instrument":"MNQZ5","side":"buy","qty":0,"orderType":"market"}',
      '{"signalId":"s2","action":"flatten"}',
      '{"time":"2025-11-24T14:31:00.000Z","type":"trade","instrument":"MNQZ5","price":"abc"}',
      '{"time":"2025-11-24T14:32:00.000Z","type":"trade","instrument":"MNQZ5","price":"21000.25"}',
    ].join('\n');
    const { records, errors } = parseReplay(text, 'jsonl');
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [1, 'qty'],
      [2, 'time'],
      [3, 'price'],
    ]);
    expect(records).toHaveLength(1);
    expect(() => parseReplay(text, 'jsonl', { strict: true })).toThrow(/line 1: qty/);
  });
});
