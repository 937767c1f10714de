import { createHash } from 'node:crypto';
import {
  defaultInstruments,
  type InstrumentRegistry,
  parseContract,
  SignalError,
  TradeNovaError,
} from '@tradenova/core';

/** The actions a signal in the native format (docs/signals.md) has. */
const NATIVE_ACTIONS = new Set(['new', 'modify', 'cancel', 'flatten']);
/** TradingView-style actions: `{{strategy.order.action}}` gives buy or sell; the rest close a position. */
const FLAT_ACTIONS = new Set(['flat', 'close', 'exit', 'flatten']);

/** What turning an alert into a signal needs besides the alert. */
export interface AlertContext {
  /** Wall-clock now, ms: the signal's time when the alert has none. */
  now: number;
  /** A per-source counter, so alerts without a time or an id still get distinct signal ids. */
  sequence: number;
  instruments?: InstrumentRegistry;
}

/**
 * Turns one alert body (already parsed JSON, token removed) into a raw signal
 * object for `engine.submit`. Two shapes are accepted:
 *
 * - the native signal format of docs/signals.md (`action` is new, modify,
 *   cancel or flatten), passed through, with a `signalId` made up if absent;
 * - a TradingView-style alert (docs/webhook.md): `ticker`, `action` buy / sell
 *   (or flat / close / exit), `contracts`, optional `orderType`, `price`,
 *   `limitPrice`, `stopPrice`, `stopLoss`, `takeProfit`, `id`, `time`, `position`.
 *
 * Throws `SignalError` naming the alert's own field (`contracts`, `ticker`, ...).
 */
export function alertToSignal(body: Record<string, unknown>, context: AlertContext): Record<string, unknown> {
  const action = body.action;
  if (typeof action !== 'string' || action.trim() === '') {
    throw new SignalError(
      'action',
      'missing: buy, sell, or flat (or a native action: new, modify, cancel, flatten)',
    );
  }
  const act = action.trim().toLowerCase();
  if (NATIVE_ACTIONS.has(act) && act === action && (act !== 'flatten' || 'signalId' in body)) {
    return { ...body, signalId: body.signalId ?? signalIdOf(body, context) };
  }
  const instrument = tickerOf(body, context);
  const signalId = stringField(body, 'signalId') ?? stringField(body, 'alertId') ?? signalIdOf(body, context);
  const time = body.time ?? body.timenow;
  const common = {
    signalId,
    ...(time !== undefined ? { time: timeOf(time) } : {}),
  };
  if (FLAT_ACTIONS.has(act)) return { ...common, action: 'flatten', ...(instrument ? { instrument } : {}) };
  if (act !== 'buy' && act !== 'sell') {
    throw new SignalError('action', `"${action}" is not buy, sell, flat, close or exit`);
  }
  if (!instrument)
    throw new SignalError('ticker', 'missing: the instrument, e.g. "{{ticker}}" (MNQ1!, MNQZ2025)');
  const qty = contractsOf(body);
  const orderType = orderTypeOf(body);
  const price = priceField(body, 'price');
  const limitPrice = priceField(body, 'limitPrice') ?? (orderType === 'limit' ? price : undefined);
  const stopPrice = priceField(body, 'stopPrice') ?? (orderType === 'stop' ? price : undefined);
  const position = positionOf(body, orderType);
  const bracket = {
    ...(body.stopLoss !== undefined ? { stopLoss: levelOf(body.stopLoss, 'stopLoss') } : {}),
    ...(body.takeProfit !== undefined ? { takeProfit: levelOf(body.takeProfit, 'takeProfit') } : {}),
  };
  return {
    ...common,
    action: 'new',
    leaderOrderId: stringField(body, 'id') ?? stringField(body, 'orderId') ?? `tv-${signalId}`,
    instrument,
    side: act,
    qty,
    orderType,
    ...(limitPrice !== undefined ? { limitPrice } : {}),
    ...(stopPrice !== undefined ? { stopPrice } : {}),
    // A market alert's price is what the leader strategy filled at: followers meet it.
    ...(orderType === 'market' && price !== undefined ? { fillPrice: price } : {}),
    ...(Object.keys(bracket).length > 0 ? { bracket } : {}),
    ...(position !== undefined ? { leaderPosition: position } : {}),
  };
}

/**
 * `position`: the strategy's signed position once the alert's order filled
 * (`{{strategy.position_size}}`), so a restarted copier scales an exit as an exit.
 */
function positionOf(body: Record<string, unknown>, orderType: string): number | undefined {
  const raw = body.position;
  if (raw === undefined || raw === '') return undefined;
  const n = typeof raw === 'string' && /^\s*-?\d+(\.0+)?\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new SignalError(
      'position',
      `must be a whole, signed number of contracts, e.g. "{{strategy.position_size}}" (got ${JSON.stringify(raw)})`,
    );
  }
  if (orderType !== 'market') {
    throw new SignalError(
      'position',
      `only on a market alert (the position once it filled), not a ${orderType} one`,
    );
  }
  return n;
}

/**
 * A signal id for an alert that brings none. An alert with a time is hashed, so
 * the same alert delivered twice is refused as a duplicate; one without a time
 * gets a unique id (two equal alerts without a time are two trades).
 */
function signalIdOf(body: Record<string, unknown>, context: AlertContext): string {
  if (body.time === undefined && body.timenow === undefined) return `wh-${context.now}-${context.sequence}`;
  const canonical = JSON.stringify(body, Object.keys(body).sort());
  return `wh-${createHash('sha256').update(canonical).digest('hex').slice(0, 20)}`;
}

/** `{{ticker}}` as TradingView writes it: `MNQZ2025`, `MNQ1!` (continuous: the front month), `CME_MINI:MNQ1!`. */
function tickerOf(body: Record<string, unknown>, context: AlertContext): string | undefined {
  const field = body.ticker !== undefined ? 'ticker' : body.symbol !== undefined ? 'symbol' : 'instrument';
  const raw = body[field];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '')
    throw new SignalError(field, 'must be a symbol such as MNQ1! or MNQZ2025');
  let text = raw.trim().toUpperCase();
  const colon = text.lastIndexOf(':');
  if (colon >= 0) text = text.slice(colon + 1);
  if (text.endsWith('1!')) text = text.slice(0, -2);
  else if (/\d!$/.test(text))
    throw new SignalError(field, `"${raw}": only the front continuous contract (1!) maps to a month`);
  try {
    parseContract(text, { at: context.now, registry: context.instruments ?? defaultInstruments });
  } catch (error) {
    throw new SignalError(field, error instanceof TradeNovaError ? error.message : String(error));
  }
  return text;
}

function contractsOf(body: Record<string, unknown>): number {
  const field = body.contracts !== undefined ? 'contracts' : 'qty';
  const raw = body[field];
  if (raw === undefined)
    throw new SignalError('contracts', 'missing: how many contracts, e.g. "{{strategy.order.contracts}}"');
  const n = typeof raw === 'string' && /^\d+(\.0+)?$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) {
    throw new SignalError(field, `must be a whole number of contracts above 0 (got ${JSON.stringify(raw)})`);
  }
  return n;
}

function orderTypeOf(body: Record<string, unknown>): 'market' | 'limit' | 'stop' | 'stop-limit' {
  const raw = body.orderType ?? body.type ?? 'market';
  const t = typeof raw === 'string' ? raw.trim().toLowerCase().replace('_', '-') : raw;
  if (t === 'market' || t === 'limit' || t === 'stop' || t === 'stop-limit') return t;
  throw new SignalError(
    body.orderType !== undefined ? 'orderType' : 'type',
    'must be market, limit, stop or stop-limit',
  );
}

function priceField(body: Record<string, unknown>, field: string): string | undefined {
  const raw = body[field];
  if (raw === undefined || raw === '') return undefined;
  const text = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
  if (typeof text !== 'string' || !/^-?\d+(\.\d+)?$/.test(text.trim())) {
    throw new SignalError(field, `must be a decimal price (got ${JSON.stringify(raw)})`);
  }
  return text.trim();
}

function levelOf(raw: unknown, field: string): { price: string } | { ticks: number } {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const level = raw as Record<string, unknown>;
    if (typeof level.ticks === 'number' && Number.isInteger(level.ticks) && level.ticks > 0)
      return { ticks: level.ticks };
    const price = priceField(level, 'price');
    if (price !== undefined && level.ticks === undefined) return { price };
  }
  throw new SignalError(field, 'must be {"ticks": N} or {"price": "..."}');
}

function timeOf(raw: unknown): number | string {
  if (typeof raw === 'number' || typeof raw === 'string') return raw;
  throw new SignalError('time', 'must be an ISO time (e.g. "{{timenow}}") or milliseconds since the epoch');
}

function stringField(body: Record<string, unknown>, field: string): string | undefined {
  const raw = body[field];
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number') return String(raw);
  throw new SignalError(field, 'must be a string');
}
