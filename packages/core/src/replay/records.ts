import { parse as parseCsv } from 'csv-parse/sync';
import { SignalError } from '../errors.js';
import { isSanePrice, MAX_SANE_PRICE, MAX_TIME_MS, parseSignal } from '../model/parse-signal.js';

/** One line of a replay file. Signals stay raw: the run parses each once, with its leader account, and hands the engine the typed signal. */
export type ReplayRecord =
  | { kind: 'signal'; line: number; time: number; raw: Record<string, unknown> }
  | { kind: 'quote'; line: number; time: number; instrument: string; bid: string; ask: string }
  | { kind: 'trade'; line: number; time: number; instrument: string; price: string };

/** A line that could not be used, with where and why. */
export interface ReplayInputError {
  line: number;
  field: string;
  message: string;
  signalId?: string;
}

export interface ParsedReplay {
  records: ReplayRecord[];
  errors: ReplayInputError[];
}

export type ReplayFormat = 'jsonl' | 'csv';

/** The format a file name implies: `.csv` is CSV, anything else JSON lines. */
export function replayFormatOf(fileName: string): ReplayFormat {
  return fileName.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl';
}

/**
 * Parses a replay file. Bad lines become errors naming the line and field; the
 * rest is kept, so one typo does not lose a session. With `strict` the first
 * bad line throws a `SignalError`.
 */
export function parseReplay(
  text: string,
  format: ReplayFormat,
  options: { strict?: boolean } = {},
): ParsedReplay {
  const rows = format === 'csv' ? csvRows(text) : jsonRows(text);
  const records: ReplayRecord[] = [];
  const errors: ReplayInputError[] = [];
  for (const row of rows) {
    const parsed = rowToRecord(row, options.strict ?? false);
    if ('kind' in parsed) records.push(parsed);
    else errors.push(parsed);
  }
  return { records, errors };
}

/**
 * Parses JSON lines as they arrive, for sessions too big to hold: yields each record in
 * file order and hands each bad line to `onError` (with `strict`, throws a `SignalError`
 * at the first one instead). Lines are numbered from 1 as they come. The records are the
 * same `parseReplay` makes of the whole text.
 */
export async function* streamReplay(
  lines: AsyncIterable<string> | Iterable<string>,
  options: { strict?: boolean; onError: (error: ReplayInputError) => void },
): AsyncGenerator<ReplayRecord> {
  let line = 0;
  for await (const content of lines) {
    line++;
    const row = jsonRow(content, line);
    if (!row) continue;
    const parsed = rowToRecord(row, options.strict ?? false);
    if ('kind' in parsed) yield parsed;
    else options.onError(parsed);
  }
}

function rowToRecord(row: Row, strict: boolean): ReplayRecord | ReplayInputError {
  try {
    if ('error' in row) throw new SignalError(row.field, row.error, row.line);
    return toRecord(row.value, row.line);
  } catch (error) {
    if (!(error instanceof SignalError)) throw error;
    if (strict) throw error;
    const signalId = 'value' in row ? (row.value as { signalId?: unknown }).signalId : undefined;
    return {
      line: row.line,
      field: error.field,
      message: error.reason,
      ...(typeof signalId === 'string' ? { signalId } : {}),
    };
  }
}

type Row = { line: number; value: Record<string, unknown> } | { line: number; error: string; field: string };

function jsonRows(text: string): Row[] {
  const rows: Row[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((content, i) => {
    const row = jsonRow(content, i + 1);
    if (row) rows.push(row);
  });
  return rows;
}

/** One line of JSON lines; undefined for a blank or comment line. */
function jsonRow(content: string, line: number): Row | undefined {
  const trimmed = content.trim();
  if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('//')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    return { line, field: '(line)', error: `not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { line, field: '(line)', error: 'expected a JSON object' };
  }
  return { line, value: value as Record<string, unknown> };
}

/** CSV columns that hold numbers; bracket columns fold into the `bracket` object. */
const NUMERIC = new Set(['qty', 'time', 'detectedAt', 'receivedAt', 'leaderPosition']);

function csvRows(text: string): Row[] {
  let table: string[][];
  try {
    table = parseCsv(text, {
      columns: false,
      skip_empty_lines: false,
      relax_column_count: true,
    }) as string[][];
  } catch (error) {
    // A CSV syntax error (a stray quote) stops the whole file: csv-parse cannot resynchronize.
    const csvLine = (error as { lines?: unknown }).lines;
    const message = (error as Error).message.split(':')[0] ?? 'bad CSV';
    throw new SignalError(
      '(line)',
      `not valid CSV: ${message}`,
      typeof csvLine === 'number' ? csvLine : undefined,
    );
  }
  const header = table[0]?.map((h) => h.trim());
  if (!header) return [];
  const rows: Row[] = [];
  table.slice(1).forEach((cells, i) => {
    const line = i + 2;
    if (cells.every((c) => c.trim() === '')) return;
    const value: Record<string, unknown> = {};
    const bracket: Record<string, unknown> = {};
    header.forEach((name, col) => {
      const cell = (cells[col] ?? '').trim();
      if (cell === '') return;
      const v = NUMERIC.has(name) && /^-?\d+$/.test(cell) ? Number(cell) : cell;
      if (name === 'stopLossTicks') bracket.stopLoss = { ticks: Number(cell) };
      else if (name === 'stopLossPrice') bracket.stopLoss = { price: cell };
      else if (name === 'takeProfitTicks') bracket.takeProfit = { ticks: Number(cell) };
      else if (name === 'takeProfitPrice') bracket.takeProfit = { price: cell };
      else value[name] = v;
    });
    if (Object.keys(bracket).length > 0) value.bracket = bracket;
    rows.push({ line, value });
  });
  return rows;
}

function toRecord(value: Record<string, unknown>, line: number): ReplayRecord {
  const type = value.type ?? (value.action !== undefined ? 'signal' : undefined);
  const time = recordTime(value, line);
  switch (type) {
    case 'signal': {
      // Full validation now, so the error names the line before any run (the run parses it once more with its leader account).
      parseSignal(value, { leaderAccount: 'leader', now: time }, line);
      return { kind: 'signal', line, time, raw: value };
    }
    case 'quote': {
      const instrument = str(value, 'instrument', line);
      const bid = price(value, 'bid', line);
      const ask = price(value, 'ask', line);
      // A crossed quote would fill buys below sells; no exchange publishes one.
      if (Number(bid) > Number(ask)) throw new SignalError('bid', `bid ${bid} is above ask ${ask}`, line);
      return { kind: 'quote', line, time, instrument, bid, ask };
    }
    case 'trade':
      return {
        kind: 'trade',
        line,
        time,
        instrument: str(value, 'instrument', line),
        price: price(value, 'price', line),
      };
    default:
      throw new SignalError(
        'type',
        `unknown record type ${JSON.stringify(type)} (signal, quote or trade)`,
        line,
      );
  }
}

function recordTime(value: Record<string, unknown>, line: number): number {
  const t = value.time ?? value.detectedAt;
  if (typeof t === 'number' && Number.isInteger(t) && t >= 0) {
    if (t > MAX_TIME_MS)
      throw new SignalError('time', `${t} ms is past the latest time a Date can hold`, line);
    return t;
  }
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
    throw new SignalError('time', `not an ISO time: ${JSON.stringify(t)}`, line);
  }
  throw new SignalError('time', 'required (ISO 8601 or ms since epoch)', line);
}

function str(value: Record<string, unknown>, field: string, line: number): string {
  const v = value[field];
  if (typeof v !== 'string' || v === '') throw new SignalError(field, 'required', line);
  return v;
}

function price(value: Record<string, unknown>, field: string, line: number): string {
  const v = value[field];
  let text: string | undefined;
  if (typeof v === 'number' && Number.isFinite(v)) text = String(v);
  else if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) text = v;
  if (text === undefined)
    throw new SignalError(field, v === undefined ? 'required' : `not a price: ${JSON.stringify(v)}`, line);
  // String(8.6e15) is "8600000000000000" but String(1e21) is "1e+21": both are refused here.
  if (!/^-?\d+(\.\d+)?$/.test(text) || !isSanePrice(text))
    throw new SignalError(field, `${text} is not a sane price (within ±${MAX_SANE_PRICE})`, line);
  return text;
}
