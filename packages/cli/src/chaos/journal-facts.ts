import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Journal } from '../services/journal/journal.js';
import { CHAOS_LEADER } from './plan.js';

/** What the journal says of one follower. */
export interface JournalFollower {
  /** Intent ids with a recorded reason for a missing order. */
  reasoned: Set<string>;
  /** Per leader order id, the ids of the orders placed to copy it (any signal of that order). */
  copiesOf: Map<string, string[]>;
  /** Every intent id journaled for it. */
  intentIds: Set<string>;
}

/** What a run's journal holds, per follower, with every intent's order statuses (oldest first). */
export interface JournalFacts {
  followers: Map<string, JournalFollower>;
  statuses: Map<string, string[]>;
}

/** The leader order a journaled signal id belongs to (`leader:<account>:<order>:<kind>:<n>[~…]`). */
// Start-up recovery re-signals a leader order as `recovery:<account>:<order>:modify:…`.
const LEADER_SIGNAL = new RegExp(`^(?:leader|recovery):${CHAOS_LEADER}:([^:]+):`);

/** The worker entry built beside this module (`tsup.config.ts`): absent when run from source. */
const WORKER = new URL('./chaos-journal-worker.js', import.meta.url);

/** The one reader thread, started at the first read and kept: PGlite is compiled there once. */
let reader:
  | { worker: Worker; waiting: Map<number, (answer: ReaderAnswer) => void>; next: number }
  | undefined;

interface ReaderAnswer {
  id: number;
  facts?: JournalFacts;
  error?: string;
}

/**
 * Reads a run's journal on a worker thread when the built worker is there: opening PGlite
 * holds its thread for about a second on a loaded machine (longer the first time, compiling
 * it), and the simulators of the other runs answer on the main one. From source (no built
 * worker), it reads here.
 */
export async function readJournalFacts(dir: string): Promise<JournalFacts> {
  if (WORKER.protocol !== 'file:' || !existsSync(fileURLToPath(WORKER))) return journalFactsAt(dir);
  if (!reader) {
    const worker = new Worker(WORKER);
    const waiting = new Map<number, (answer: ReaderAnswer) => void>();
    const started = { worker, waiting, next: 0 };
    reader = started;
    worker.on('message', (answer: ReaderAnswer) => {
      waiting.get(answer.id)?.(answer);
      waiting.delete(answer.id);
      if (waiting.size === 0) worker.unref();
    });
    const fail = (why: string) => {
      if (reader === started) reader = undefined;
      for (const [id, answer] of waiting) answer({ id, error: why });
      waiting.clear();
    };
    worker.on('error', (error) => fail(error.message));
    worker.on('exit', (code) => fail(`the journal reader exited with ${code}`));
  }
  const { worker, waiting } = reader;
  const id = reader.next++;
  // Held while a read is waiting, let go between reads: an idle reader never keeps chaos alive.
  worker.ref();
  const answer = await new Promise<ReaderAnswer>((resolve) => {
    waiting.set(id, resolve);
    worker.postMessage({ id, dir });
  });
  if (!answer.facts) throw new Error(`reading the run's journal: ${answer.error}`);
  return answer.facts;
}

/** Opens the journal in `dir`, reads its facts and closes it. */
export async function journalFactsAt(dir: string): Promise<JournalFacts> {
  const journal = await Journal.open({ dir });
  try {
    return await journalFacts(journal);
  } finally {
    await journal.close().catch(() => undefined);
  }
}

/** Per follower: journaled intents that may hold a broker order, and intent ids with a recorded reason. */
export async function journalFacts(journal: Journal): Promise<JournalFacts> {
  const intents = await journal.db
    .selectFrom('intents')
    .select(['intent_id', 'follower', 'action', 'signal_id'])
    .execute();
  const orders = await journal.db
    .selectFrom('orders')
    .select(['intent_id', 'status'])
    .where('intent_id', 'is not', null)
    .orderBy('id')
    .execute();
  const errors = await journal.db
    .selectFrom('errors')
    .select(['intent_id', 'follower', 'signal_id'])
    .where('intent_id', 'is not', null)
    .execute();
  const signals = await journal.db
    .selectFrom('signals')
    .select(['outcomes'])
    .where('outcomes', 'is not', null)
    .execute();
  const statuses = new Map<string, Set<string>>();
  for (const o of orders) {
    const set = statuses.get(o.intent_id!) ?? new Set();
    set.add(o.status);
    statuses.set(o.intent_id!, set);
  }
  const byIntent = new Map<string, string[]>();
  for (const o of orders) byIntent.set(o.intent_id!, [...(byIntent.get(o.intent_id!) ?? []), o.status]);
  const out = new Map<string, JournalFollower>();
  const of = (follower: string) => {
    let v = out.get(follower);
    if (!v) {
      v = { reasoned: new Set(), copiesOf: new Map(), intentIds: new Set() };
      out.set(follower, v);
    }
    return v;
  };
  for (const i of intents) {
    of(i.follower).intentIds.add(i.intent_id);
    if (i.action !== 'place' && i.action !== 'flatten') continue;
    const leaderOrder = LEADER_SIGNAL.exec(i.signal_id)?.[1];
    if (leaderOrder !== undefined && i.action === 'place') {
      const copies = of(i.follower).copiesOf;
      copies.set(leaderOrder, [...(copies.get(leaderOrder) ?? []), i.intent_id]);
    }
    const s = statuses.get(i.intent_id);
    if (s && (s.has('rejected') || s.has('failed'))) of(i.follower).reasoned.add(i.intent_id);
  }
  for (const e of errors) {
    if (!e.follower) continue;
    of(e.follower).reasoned.add(e.intent_id!);
    // A blocked or failed re-plan has no intent row (nothing was sent), but it is the copy's
    // latest word: the leader order's copy ended there for a recorded reason.
    const leaderOrder = e.signal_id === null ? undefined : LEADER_SIGNAL.exec(e.signal_id)?.[1];
    if (leaderOrder !== undefined) {
      const copies = of(e.follower).copiesOf;
      copies.set(leaderOrder, [...(copies.get(leaderOrder) ?? []), e.intent_id!]);
    }
  }
  for (const row of signals) {
    const outcomes = Array.isArray(row.outcomes)
      ? (row.outcomes as { follower: string; intentId: string; outcome: string }[])
      : [];
    for (const o of outcomes)
      if (
        o.outcome === 'skipped' ||
        o.outcome === 'blocked' ||
        o.outcome === 'rejected' ||
        o.outcome === 'failed'
      )
        of(o.follower).reasoned.add(o.intentId);
  }
  return { followers: out, statuses: byIntent };
}
