import { z } from 'zod';

/**
 * The request schemas of the control API. Each route validates its input with one of
 * these, and the OpenAPI document (openapi.ts) is generated from the same objects, so
 * the document cannot drift from what the server accepts.
 */

const booleanOrNull = z.boolean().nullable();

/** `PATCH /v1/accounts/{name}`: the fields of `tradenova accounts set`; `null` goes back to the config. */
export const accountPatchSchema = z
  .strictObject({
    enabled: booleanOrNull.optional().describe('false stops the follower copying (its settings stay)'),
    paused: booleanOrNull.optional().describe('true: no new entries; exits still go'),
    scaling: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .describe('scaling fields as in the config (mode, qty, factor…); null: the config again'),
    risk: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .describe('risk limit fields as in the config (maxOrderQty, maxPosition…); null: the config again'),
  })
  .describe('Live settings of one follower; fields left out keep their value.');

/** `POST /v1/kill`. */
export const killBodySchema = z
  .strictObject({ reason: z.string().max(500).optional().describe('shown in every process') })
  .describe('Engages the global kill switch: no new entries anywhere; exits still go.');

/** `POST /v1/reconcile`. */
export const reconcileBodySchema = z
  .strictObject({
    account: z.string().optional().describe('one follower (name or account id); every follower when absent'),
    policy: z.enum(['align', 'alert', 'flatten']).optional().describe("the config's policy when absent"),
  })
  .describe("Compares followers' broker positions with their targets and applies the policy.");

const time = z
  .union([z.string().regex(/^\d+$/), z.iso.datetime({ offset: true }), z.iso.date()])
  .describe('ISO date/time or ms since epoch');

/** `GET /v1/orders`: the journal's order steps, newest first, paged by cursor. */
export const ordersQuerySchema = z.strictObject({
  account: z.string().optional().describe('follower name or account id'),
  from: time.optional(),
  to: time.optional(),
  status: z.string().optional().describe('placed, modified, cancelled, rejected, timed-out…'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().regex(/^\d+$/).optional().describe('the `next` of the previous page'),
});

/** `GET /v1/report`: what `tradenova report` computes. */
export const reportQuerySchema = z.strictObject({
  from: time,
  to: time,
  account: z.string().optional().describe('comma-separated follower names or account ids'),
});

/** `POST /v1/signals`: one leader signal, as the webhook takes it (token left out). */
export const signalBodySchema = z
  .looseObject({
    action: z
      .string()
      .describe('buy, sell, flat / close / exit, or a native action: new, modify, cancel, flatten'),
  })
  .describe('A TradingView-style alert or a native signal (docs/signals.md, docs/webhook.md).');

/** A stream client's message. */
export const streamMessageSchema = z.union([
  z.strictObject({
    subscribe: z.strictObject({
      types: z.array(z.string()).optional().describe('event types; every type when absent'),
      accounts: z.array(z.string()).optional().describe("follower names or account ids within the token's"),
    }),
  }),
  z.strictObject({ resume: z.number().int().min(0).describe('the last sequence number seen') }),
]);

/** Every error answer. */
export const errorSchema = z.strictObject({
  code: z.string().describe('TN_ERR_* (docs/errors.md)'),
  message: z.string(),
});

/** Turns a zod failure into one line naming the field. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  const where = issue.path.length > 0 ? issue.path.join('.') : '(body)';
  return `${where}: ${issue.message}`;
}

/** Time text (ISO or ms) to ms since epoch. */
export function timeOf(text: string): number {
  return /^\d+$/.test(text) ? Number(text) : Date.parse(text);
}
