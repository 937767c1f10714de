import type { FastifyInstance } from 'fastify';
import { CliError } from '../../errors.js';
import { planPatch } from '../../services/control/plan-patch.js';
import { principalOf } from '../auth.js';
import { actorOf, type RouteContext } from '../context.js';
import { invalid } from '../errors.js';
import { accountPatchSchema, describeIssues, killBodySchema, reconcileBodySchema } from '../schemas.js';
import { followerFor, requireAllAccounts, requireControl } from '../scope.js';
import type { Principal } from '../tokens.js';
import { MAX_TTL_S } from '../tokens.js';

/**
 * The control routes (control scope): PATCH and flatten an account, the kill switch,
 * reconcile, revoke a token. Each action is recorded on the audit trail, failed ones too.
 */
export function registerControlRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { backend } = ctx;

  /** Runs an action and records it; an `ApiError` or `CliError` is the caller's fault (400 for the latter). */
  async function audited<T>(
    principal: Principal,
    action: string,
    target: string | undefined,
    detail: Record<string, unknown>,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      const result = await run();
      await ctx.audit.record(principal, { action, ...(target ? { target } : {}), outcome: 'ok', detail });
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await ctx.audit.record(principal, {
        action,
        ...(target ? { target } : {}),
        outcome: 'failed',
        detail: { ...detail, error: message },
      });
      if (error instanceof CliError) throw invalid(message);
      throw error;
    }
  }

  app.patch<{ Params: { name: string } }>('/v1/accounts/:name', async (req) => {
    const principal = principalOf(req);
    requireControl(principal);
    const follower = followerFor(backend.followers, principal, req.params.name);
    const body = accountPatchSchema.safeParse(req.body ?? {});
    if (!body.success) throw invalid(describeIssues(body.error));
    const settings = toSettings(body.data);
    if (settings.length === 0) throw invalid('(body): nothing to change (enabled, paused, scaling, risk)');
    return audited(principal, 'account-patch', follower.name, { patch: body.data }, async () => {
      // The rules of `tradenova accounts set`: fields add up over changes, and the result must be a valid follower.
      const stored = (await backend.accounts()).find((a) => a.name === follower.name)?.settings ?? {};
      const patch = planPatch(backend.config, { action: 'set', follower: follower.name, settings }, stored);
      const saved = await backend.setFollower(follower.name, patch, actorOf(principal));
      return { name: follower.name, settings: saved };
    });
  });

  app.post<{ Params: { name: string } }>('/v1/accounts/:name/flatten', async (req) => {
    const principal = principalOf(req);
    requireControl(principal);
    const follower = followerFor(backend.followers, principal, req.params.name);
    return audited(principal, 'account-flatten', follower.name, {}, async () => ({
      name: follower.name,
      ...(await backend.flatten(follower.name, actorOf(principal))),
    }));
  });

  app.post('/v1/kill', async (req) => {
    const principal = principalOf(req);
    requireControl(principal);
    requireAllAccounts(principal, 'the kill switch');
    const body = killBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw invalid(describeIssues(body.error));
    return audited(principal, 'kill-engage', undefined, { ...body.data }, async () => ({
      killSwitch: await backend.setKillSwitch(true, body.data.reason, actorOf(principal)),
    }));
  });

  app.delete('/v1/kill', async (req) => {
    const principal = principalOf(req);
    requireControl(principal);
    requireAllAccounts(principal, 'the kill switch');
    return audited(principal, 'kill-release', undefined, {}, async () => ({
      killSwitch: await backend.setKillSwitch(false, undefined, actorOf(principal)),
    }));
  });

  app.post('/v1/reconcile', async (req) => {
    const principal = principalOf(req);
    requireControl(principal);
    const body = reconcileBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw invalid(describeIssues(body.error));
    const follower = body.data.account
      ? followerFor(backend.followers, principal, body.data.account)
      : undefined;
    if (!follower) requireAllAccounts(principal, 'reconcile without an account');
    return audited(principal, 'reconcile', follower?.name, { ...body.data }, () =>
      backend.reconcile(follower?.name, body.data.policy),
    );
  });

  app.delete<{ Params: { id: string } }>('/v1/tokens/:id', async (req) => {
    const principal = principalOf(req);
    requireControl(principal);
    requireAllAccounts(principal, 'revoking a token');
    const id = req.params.id;
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw invalid('id: a token id (a UUID)');
    return audited(principal, 'token-revoke', id, {}, async () => {
      // The deny list need not outlive the longest token.
      await ctx.denyList.revoke(id, Date.now() + MAX_TTL_S * 1000);
      return { revoked: id, backend: ctx.denyList.backend };
    });
  });
}

/** The body of a PATCH as the `key=value` pairs `accounts set` takes, so both follow one set of rules. */
function toSettings(body: Record<string, unknown>): string[] {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    if ((key === 'scaling' || key === 'risk') && value !== null) {
      for (const [field, v] of Object.entries(value as Record<string, unknown>))
        pairs.push(`${key}.${field}=${JSON.stringify(v)}`);
    } else pairs.push(`${key}=${JSON.stringify(value)}`);
  }
  return pairs;
}
