import { z } from 'zod';
import { formatPath } from '../config/parse.js';
import { SignalError } from '../errors.js';
import type { TradeSignal } from './signal.js';

/**
 * The largest price magnitude taken from a signal or a replay record. No futures contract
 * trades near it (index futures are quoted in tens of thousands); a price past it is a typo or
 * a hostile input that would scale to absurd P&L and sizes.
 */
export const MAX_SANE_PRICE = 10_000_000;
/** The latest time a `Date` can hold (ms since epoch); a later one cannot be printed or bucketed into a session. */
export const MAX_TIME_MS = 8_640_000_000_000_000;
/** Default cap on a leader signal's qty: a larger one is refused as a fat finger (see docs/signals.md). */
export const DEFAULT_MAX_SIGNAL_QTY = 10_000;

/** True when a decimal price is within ±MAX_SANE_PRICE. */
export function isSanePrice(price: string | number): boolean {
  return Math.abs(Number(price)) <= MAX_SANE_PRICE;
}

const decimal = z
  .union([z.number().finite(), z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal price')])
  .transform((v) => (typeof v === 'number' ? String(v) : v))
  .refine(isSanePrice, { message: `a price within ±${MAX_SANE_PRICE}` });
const qty = z.number().int('a whole number of contracts').positive('more than 0');
const time = z
  .union([z.number().int().nonnegative().max(MAX_TIME_MS, 'a time a Date can hold'), z.string().min(1)])
  .transform((v, ctx) => {
    if (typeof v === 'number') return v;
    const t = Date.parse(v);
    if (Number.isNaN(t)) {
      ctx.addIssue({ code: 'custom', message: `not an ISO time: ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return t;
  });
const level = z.union([
  z.object({ price: decimal }).strict(),
  z.object({ ticks: z.number().int().positive('more than 0') }).strict(),
]);
const leg = z.enum(['entry', 'stop-loss', 'take-profit']);

const base = {
  signalId: z.string().min(1),
  leaderAccount: z.string().min(1).optional(),
  time: time.optional(),
  detectedAt: time.optional(),
  receivedAt: time.optional(),
  type: z.literal('signal').optional(),
};

const rawSignal = z.discriminatedUnion('action', [
  z
    .object({
      ...base,
      action: z.literal('new'),
      leaderOrderId: z.string().min(1),
      instrument: z.string().min(1),
      side: z.enum(['buy', 'sell']),
      qty,
      orderType: z.enum(['market', 'limit', 'stop', 'stop-limit']),
      limitPrice: decimal.optional(),
      stopPrice: decimal.optional(),
      fillPrice: decimal.optional(),
      timeInForce: z.enum(['day', 'gtc']).optional(),
      bracket: z.object({ stopLoss: level.optional(), takeProfit: level.optional() }).strict().optional(),
      leaderPosition: z.number().int('a whole, signed number of contracts').optional(),
    })
    .strict()
    .superRefine((s, ctx) => {
      if (s.leaderPosition !== undefined && s.orderType !== 'market')
        ctx.addIssue({
          code: 'custom',
          path: ['leaderPosition'],
          message: `only on a market order (the position once it filled), not on a ${s.orderType} order`,
        });
      const needsLimit = s.orderType === 'limit' || s.orderType === 'stop-limit';
      const needsStop = s.orderType === 'stop' || s.orderType === 'stop-limit';
      if (needsLimit && s.limitPrice === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['limitPrice'],
          message: `required for a ${s.orderType} order`,
        });
      if (needsStop && s.stopPrice === undefined)
        ctx.addIssue({ code: 'custom', path: ['stopPrice'], message: `required for a ${s.orderType} order` });
      if (!needsLimit && s.limitPrice !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['limitPrice'],
          message: `not allowed on a ${s.orderType} order`,
        });
      if (!needsStop && s.stopPrice !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['stopPrice'],
          message: `not allowed on a ${s.orderType} order`,
        });
    }),
  z
    .object({
      ...base,
      action: z.literal('modify'),
      leaderOrderId: z.string().min(1),
      leg: leg.optional(),
      qty: qty.optional(),
      limitPrice: decimal.optional(),
      stopPrice: decimal.optional(),
    })
    .strict()
    .refine((s) => s.qty !== undefined || s.limitPrice !== undefined || s.stopPrice !== undefined, {
      message: 'a modify needs qty, limitPrice or stopPrice',
      path: ['qty'],
    }),
  z
    .object({ ...base, action: z.literal('cancel'), leaderOrderId: z.string().min(1), leg: leg.optional() })
    .strict(),
  z.object({ ...base, action: z.literal('flatten'), instrument: z.string().min(1).optional() }).strict(),
]);

/** Defaults a signal object may leave out. */
export interface SignalDefaults {
  leaderAccount: string;
  /** Used for detectedAt / receivedAt when the signal has no time. */
  now: number;
  /** Sanity cap on a leader order's qty (default `DEFAULT_MAX_SIGNAL_QTY`): a larger one is refused. */
  maxQty?: number;
}

/**
 * Validates an untrusted signal object (a JSON line, a webhook body, an SDK call)
 * and returns the normalized `TradeSignal`. Throws `SignalError` naming the field.
 * `time` is accepted as a short name for `detectedAt`.
 */
export function parseSignal(input: unknown, defaults: SignalDefaults, line?: number): TradeSignal {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SignalError('(line)', 'expected a JSON object', line);
  }
  if (!('action' in input)) throw new SignalError('action', 'missing (new, modify, cancel or flatten)', line);
  const result = rawSignal.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = formatPath(issue.path) || 'action';
    const message =
      issue.code === 'invalid_union' && field === 'action'
        ? `must be new, modify, cancel or flatten`
        : issue.message;
    throw new SignalError(field, message, line);
  }
  const maxQty = defaults.maxQty ?? DEFAULT_MAX_SIGNAL_QTY;
  const signalQty = (result.data as { qty?: number }).qty;
  if (signalQty !== undefined && signalQty > maxQty) {
    throw new SignalError(
      'qty',
      `${signalQty} contracts is over the sanity cap of ${maxQty} for one leader order`,
      line,
    );
  }
  const { time: t, type: _type, ...raw } = result.data;
  const detectedAt = raw.detectedAt ?? t ?? defaults.now;
  return {
    ...raw,
    leaderAccount: raw.leaderAccount ?? defaults.leaderAccount,
    detectedAt,
    receivedAt: raw.receivedAt ?? detectedAt,
  } as TradeSignal;
}
