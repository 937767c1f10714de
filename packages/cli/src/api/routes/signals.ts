import { parseSignal, SignalError } from '@tradenova/core';
import type { FastifyInstance } from 'fastify';
import { alertToSignal } from '../../sources/webhook/alert.js';
import { principalOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { ApiError, invalid } from '../errors.js';
import { describeIssues, signalBodySchema } from '../schemas.js';
import { requireAllAccounts, requireControl } from '../scope.js';

/**
 * `POST /v1/signals`: a control token submits one leader signal. The webhook's checks
 * (alert or native format, then the signal parser, so a bad field is named in the
 * answer) and its dedupe by signal id: a signal id seen in the last `dedupeMs` is
 * answered again as a duplicate and not copied twice.
 */
export function registerSignalRoutes(app: FastifyInstance, ctx: RouteContext, dedupeMs = 10 * 60_000): void {
  const seen = new Map<string, number>();
  let sequence = 0;
  app.post('/v1/signals', async (req, reply) => {
    const principal = principalOf(req);
    requireControl(principal);
    requireAllAccounts(principal, 'a leader signal');
    const body = signalBodySchema.safeParse(req.body);
    if (!body.success) throw invalid(describeIssues(body.error));
    const { token: _token, ...alert } = body.data as Record<string, unknown>;
    const now = Date.now();
    let signal: Record<string, unknown> & { signalId: string };
    try {
      const raw = alertToSignal(alert, { now, sequence: ++sequence });
      parseSignal(raw, { leaderAccount: ctx.backend.config.leader.account, now });
      signal = { ...raw, signalId: String(raw.signalId), receivedAt: now };
    } catch (error) {
      if (error instanceof SignalError)
        throw new ApiError(400, error.code, `${error.field}: ${error.reason}`);
      throw error;
    }
    for (const [id, at] of seen) if (at + dedupeMs <= now) seen.delete(id);
    if (seen.has(signal.signalId)) return { ok: true, signalId: signal.signalId, duplicate: true };
    seen.set(signal.signalId, now);
    const detail = { action: signal.action, instrument: signal.instrument };
    try {
      await ctx.backend.submitSignal(signal);
    } catch (error) {
      seen.delete(signal.signalId);
      await ctx.audit.record(principal, {
        action: 'signal-submit',
        target: signal.signalId,
        outcome: 'failed',
        detail: { ...detail, error: error instanceof Error ? error.message : String(error) },
      });
      throw error;
    }
    await ctx.audit.record(principal, {
      action: 'signal-submit',
      target: signal.signalId,
      outcome: 'ok',
      detail,
    });
    reply.code(202);
    return { ok: true, signalId: signal.signalId };
  });
}
