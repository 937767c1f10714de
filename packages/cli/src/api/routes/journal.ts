import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildReport } from '../../services/journal/report.js';
import { principalOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { invalid, unavailable } from '../errors.js';
import { describeIssues, ordersQuerySchema, reportQuerySchema, timeOf } from '../schemas.js';
import { covers, followerFor } from '../scope.js';

/** `GET /v1/orders` and `GET /v1/report`, read from the journal (read scope). */
export function registerJournalRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { backend } = ctx;
  const journal = () => {
    if (!backend.journal) throw unavailable('no journal in this process (it runs with --no-journal)');
    return backend.journal;
  };

  app.get('/v1/orders', async (req) => {
    const principal = principalOf(req);
    const query = ordersQuerySchema.safeParse(req.query ?? {});
    if (!query.success) throw invalid(describeIssues(query.error));
    const q = query.data;
    const names = q.account
      ? [followerFor(backend.followers, principal, q.account).name]
      : principal.accounts
        ? backend.followers.filter((f) => covers(principal, f)).map((f) => f.name)
        : undefined;
    let select = journal()
      .selectFrom('orders')
      .select([
        'id',
        'intent_id',
        'follower',
        'account_id',
        'order_id',
        'status',
        'code',
        'reason',
        'latency_ms',
        'time',
      ])
      .orderBy('id', 'desc')
      .limit(q.limit + 1);
    if (names) select = select.where('follower', 'in', names.length > 0 ? names : ['']);
    if (q.from !== undefined) select = select.where('time', '>=', timeOf(q.from));
    if (q.to !== undefined) select = select.where('time', '<', timeOf(q.to));
    if (q.status !== undefined) select = select.where('status', '=', q.status);
    if (q.cursor !== undefined) select = select.where(sql<boolean>`id < ${Number(q.cursor)}`);
    const rows = await select.execute();
    const page = rows.slice(0, q.limit);
    return {
      orders: page.map((r) => ({
        id: String(r.id),
        time: Number(r.time),
        name: r.follower,
        account: r.account_id,
        status: r.status,
        intentId: r.intent_id,
        orderId: r.order_id,
        ...(r.code ? { code: r.code } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.latency_ms !== null ? { latencyMs: r.latency_ms } : {}),
      })),
      next: rows.length > q.limit ? String(page[page.length - 1]!.id) : null,
    };
  });

  app.get('/v1/report', async (req) => {
    const principal = principalOf(req);
    const query = reportQuerySchema.safeParse(req.query ?? {});
    if (!query.success) throw invalid(describeIssues(query.error));
    const from = timeOf(query.data.from);
    const to = timeOf(query.data.to);
    if (!(from < to)) throw invalid('from: must be before to');
    const asked = query.data.account
      ?.split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    const names = asked?.length
      ? asked.map((a) => followerFor(backend.followers, principal, a).name)
      : principal.accounts
        ? backend.followers.filter((f) => covers(principal, f)).map((f) => f.name)
        : undefined;
    const report = await buildReport(journal(), { from, to, ...(names ? { account: names } : {}) });
    // A scoped token must not learn about other accounts' refused signals or errors.
    if (!principal.accounts) return report;
    const allowed = new Set(names);
    return {
      ...report,
      signalsRejected: undefined,
      errors: report.errors.filter((e) =>
        backend.followers.some((f) => allowed.has(f.name) && f.account === e.accountId),
      ),
    };
  });
}
