import type { TradeSignal } from '@tradenova/core';
import type { Journal } from '../services/journal/journal.js';

/** How far back a router reads the leader's signals to rebuild its position (see docs/operations.md). */
export const LEADER_HISTORY_MS = 7 * 24 * 3600 * 1000;

const PAGE = 5000;

/**
 * The leader's journaled signals received since `since`, oldest first, a page at a
 * time: what a router re-applies to a fresh leader mirror when it starts or its
 * share of `trade.signals` changes, so exits scale against the position the signals
 * built, whichever router routed them. Database errors propagate.
 */
export async function* journaledLeaderSignals(
  journal: Journal,
  leaderAccount: string,
  since: number,
): AsyncGenerator<TradeSignal> {
  let after: { receivedAt: number; signalId: string } | undefined;
  for (;;) {
    let query = journal.db
      .selectFrom('signals')
      .select(['signal_id', 'received_at', 'payload'])
      .where('leader_account', '=', leaderAccount)
      .where('received_at', '>=', since)
      .orderBy('received_at')
      .orderBy('signal_id')
      .limit(PAGE);
    if (after) {
      const { receivedAt, signalId } = after;
      query = query.where((eb) =>
        eb.or([
          eb('received_at', '>', receivedAt),
          eb.and([eb('received_at', '=', receivedAt), eb('signal_id', '>', signalId)]),
        ]),
      );
    }
    const rows = await query.execute();
    for (const row of rows) {
      // Journaled as the parsed signal; a row without one (a completion that came first) is skipped.
      if (row.payload && typeof row.payload === 'object') yield row.payload as TradeSignal;
    }
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) return;
    after = { receivedAt: Number(last.received_at), signalId: last.signal_id };
  }
}
