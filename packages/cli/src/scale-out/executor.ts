import {
  type BrokerConnection,
  type Contract,
  type Engine,
  type EngineConfig,
  type EngineEvent,
  ErrorCode,
  type EventBus,
  type IntentLeg,
  intentId,
  type Logger,
  type OrderIntent,
  parseContract,
  RiskReason,
  silentLogger,
  TOPICS,
  TradeNovaError,
} from '@tradenova/core';
import {
  connectionsOfPartitions,
  executeRouted,
  type RoutedIntent,
  routedIntentIds,
} from '@tradenova/core/engine';
import { journaled } from '../services/journal/durable.js';
import type { Journal } from '../services/journal/journal.js';
import {
  type IncomingMessage,
  type KafkaClient,
  type KafkaConsumer,
  MessageReleased,
} from '../services/kafka/client.js';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_SESSION_TIMEOUT_MS } from '../services/kafka/group-timing.js';
import { prefixed } from '../services/kafka/topics.js';
import type { DedupeStore } from '../services/redis/stores.js';
import { decodeRouted, intentPartitions } from './codec.js';

/** How long a routed intent's claim is kept: longer than any redelivery can come late. */
const CLAIM_TTL_MS = 7 * 24 * 3600 * 1000;

/** Settings of an executor. */
export interface ExecutorOptions {
  config: EngineConfig;
  /**
   * The engine with every configured follower, started with `connectOnStart: false`: it
   * executes only what this member owns, and the executor opens the connections of the
   * accounts in its partitions (and closes those it loses in a rebalance).
   */
  engine: Engine;
  /** Broker connections by key, to ask a broker about an earlier attempt. */
  connections: Readonly<Record<string, BrokerConnection>>;
  client: KafkaClient;
  prefix: string;
  /** Consumer group prefix: executors join `<group>-executor`. */
  group: string;
  /** Shared across executors (Redis): the first claim of a routed intent is the fast path. */
  dedupe: DedupeStore;
  bus: EventBus;
  journal?: Journal;
  /** Longest wait for the journal before an offset is committed anyway (default 2 s). */
  journalWaitMs?: number;
  /** How long the group waits for a silent (killed) executor before its accounts move (default 3 s, raised to the broker's minimum). */
  sessionTimeoutMs?: number;
  /** How often the executor tells the group it is alive (default 500 ms). */
  heartbeatIntervalMs?: number;
  /** Each new assignment: the partitions of `trade.intents` and the connections they bring. */
  onAssignment?: (partitions: number[], connections: string[]) => void;
  logger?: Logger;
}

/** What an executor did. */
export interface ExecutorStats {
  /** Routed intents executed here (each ends in orders or recorded errors). */
  executed: number;
  /** Redelivered intents an earlier owner had already finished (found in the journal). */
  alreadyDone: number;
  /** Redelivered intents whose order an earlier owner had placed (found at the broker by client order id). */
  foundAtBroker: number;
  /** Routed intents that could not be executed, recorded as `order-failed`. */
  failed: number;
  /**
   * Routed intents not started because the executor was stopping (or refused by an engine
   * that was): nothing recorded, claim given back, offset not committed, so the
   * partition's next owner executes them.
   */
  released: number;
}

/** How long joining waits for the member's connections to open before it counts as started. */
const JOIN_OPEN_WAIT_MS = 10_000;

/**
 * The executor role: a member of the `<group>-executor` consumer group on
 * `trade.intents`. Kafka gives each member some partitions, so each account has one
 * executor at a time, and a partition's intents are handled one after another: an
 * account's orders stay in order. For each routed intent it claims the intent in the
 * shared dedupe store; the first claim executes it on the engine (scaling, risk,
 * per-account queue, broker). A claim that is already taken means an earlier owner got
 * the intent (it was killed, or the group rebalanced before its offset was committed):
 * then the journal is asked for the outcome, then the broker by the intent's client
 * order id, and only when neither has it is it executed. A fetched batch's offsets are
 * committed once its outcomes are journaled, so a crash at any point means redelivery,
 * never loss.
 */
export class Executor {
  readonly #options: ExecutorOptions;
  readonly #logger: Logger;
  readonly #followers: Map<string, EngineConfig['followers'][number]>;
  #consumer: KafkaConsumer | undefined;
  #partitions = 0;
  /** Per connection, the last open or close asked of the engine: they run one after another. */
  readonly #ownership = new Map<string, Promise<void>>();
  /** Connections this member should hold for its partitions now. */
  #wanted = new Set<string>();
  readonly #stats: ExecutorStats = { executed: 0, alreadyDone: 0, foundAtBroker: 0, failed: 0, released: 0 };
  /** Set by `stop()`: intents not yet started are released, not executed. */
  #stopping = false;
  /** Rejects once `stop()` is called: what waits on a connection (tried again for up to a minute) stops waiting. */
  readonly #stopped: Promise<never>;
  #stop: (error: Error) => void = () => {};
  /** Connections whose opening finished (an intent for another one waits, and says so). */
  readonly #isOpen = new Set<string>();

  constructor(options: ExecutorOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#followers = new Map(options.config.followers.map((f) => [f.name, f]));
    this.#stopped = new Promise<never>((_, reject) => {
      this.#stop = reject;
    });
    // Heard only by handlers racing it; no handler waiting is no unhandled rejection.
    this.#stopped.catch(() => undefined);
  }

  /** Joins the group; resolves once this member owns its partitions. */
  async start(): Promise<void> {
    if (this.#consumer) throw new Error('executor: already started');
    const { client, prefix, group } = this.#options;
    this.#partitions = await intentPartitions(client, prefix);
    this.#consumer = await client.consume({
      groupId: `${group}-executor`,
      topics: [prefixed(prefix, TOPICS.intents.name)],
      // Intents routed before this executor first joined are still owed to their accounts.
      fromBeginning: true,
      concurrency: TOPICS.intents.partitions,
      // Accounts of one connection share a partition; each account stays in order, and
      // one account's order round trip does not hold up the others.
      orderBy: 'key',
      onAssignment: (assignment) => this.#own(assignment[prefixed(prefix, TOPICS.intents.name)] ?? []),
      sessionTimeoutMs: this.#options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: this.#options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      handle: (message) => this.#handle(message),
      // The journal is waited for once per fetched batch, before its offsets are committed,
      // not once per intent: later intents of a partition do not queue behind a flush.
      beforeCommit: () => this.#flush(),
      // ... and behind the next batch, so a partition's next intents do not wait for it either.
      commitBehind: true,
      onError: (error) => this.#logger.error({ err: error }, 'executor: consumer stopped'),
    });
    // Joined means connected too: the first intent does not wait for a login. But a broker that
    // cannot be reached is tried for up to a minute, and this member's other accounts do not
    // wait that long: after JOIN_OPEN_WAIT_MS it is in, and that connection's intents wait for it.
    let timer: NodeJS.Timeout | undefined;
    const opened = await Promise.race([
      Promise.all([...this.#ownership.values()]).then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), JOIN_OPEN_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!opened)
      this.#logger.warn(
        { opening: [...this.#wanted].filter((key) => !this.#isOpen.has(key)) },
        'executor: joined with connections still opening',
      );
    this.#logger.info({ assignment: this.#consumer.assignment() }, 'executor: joined');
  }

  /** Connections this member holds for its partitions (opening or open). */
  connections(): string[] {
    return [...this.#wanted].sort();
  }

  /** A new assignment: opens the connections of the accounts it brings, closes those it took away. */
  #own(partitions: readonly number[]): void {
    const next = new Set(connectionsOfPartitions(this.#options.config, partitions, this.#partitions));
    for (const key of next) if (!this.#wanted.has(key)) this.#change(key, 'open');
    for (const key of this.#wanted) if (!next.has(key)) this.#change(key, 'close');
    this.#wanted = next;
    this.#options.onAssignment?.(
      [...partitions].sort((a, b) => a - b),
      this.connections(),
    );
  }

  async #openOrClose(key: string, to: 'open' | 'close'): Promise<void> {
    if (to === 'close') {
      this.#isOpen.delete(key);
      await this.#options.engine.closeConnection(key);
      return;
    }
    await this.#options.engine.openConnection(key);
    this.#isOpen.add(key);
  }

  #change(key: string, to: 'open' | 'close'): void {
    const previous = this.#ownership.get(key) ?? Promise.resolve();
    const step = previous.then(() =>
      this.#openOrClose(key, to).catch((error: unknown) => {
        // Logged here; an intent for the connection tries to open it again and records the failure.
        this.#logger.error({ err: error, connection: key }, `executor: could not ${to} the connection`);
      }),
    );
    this.#ownership.set(key, step);
  }

  /**
   * Stops fetching and leaves the group. Intents already executing finish (their outcomes
   * are journaled as usual); those of the fetched batch not started yet are released:
   * nothing recorded, claims given back, the batch's offset not committed, so the
   * partition's next owner (another executor, or this one restarted) executes them.
   * Call it before the engine stops, so that nothing in hand meets a stopped engine.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#stop(new TradeNovaError(ErrorCode.EngineStopped, 'the executor is stopping'));
    const consumer = this.#consumer;
    this.#consumer = undefined;
    await consumer?.close();
  }

  get stats(): Readonly<ExecutorStats> {
    return { ...this.#stats };
  }

  /** The session timeout the executor's group member joined with. */
  get sessionTimeoutMs(): number | undefined {
    return this.#consumer?.sessionTimeoutMs;
  }

  /** Partitions of `trade.intents` this member owns now. */
  assignment(): number[] {
    return Object.values(this.#consumer?.assignment() ?? {}).flat();
  }

  async #handle(message: IncomingMessage): Promise<void> {
    const decoded = decodeRouted(message.headers, message.value);
    if (decoded.kind === 'other') return;
    if (decoded.kind === 'invalid') {
      this.#record({
        type: 'signal-rejected',
        time: Date.now(),
        field: `(${message.topic}#${message.partition}@${message.offset})`,
        code: 'TN_ERR_SIGNAL_INVALID',
        message: decoded.reason,
      });
      return;
    }
    const routed = decoded.routed;
    if (this.#stopping) this.#release(routed, 'the executor is stopping');
    const follower = this.#followers.get(routed.follower);
    if (!follower || follower.account !== routed.accountId) {
      this.#stats.failed++;
      this.#record({
        type: 'order-failed',
        time: Date.now(),
        intent: syntheticIntent(routed, 'entry'),
        code: 'TN_ERR_CONFIG_INVALID',
        message: `follower ${routed.follower} (account ${routed.accountId}) is not in this executor's config`,
      });
      return;
    }
    try {
      // Normally opened with the assignment; an intent on another partition (a router with
      // another partition count) or after a failed login opens it here.
      if (!this.#isOpen.has(routed.connection))
        this.#logger.warn(
          { connection: routed.connection, signalId: routed.signal.signalId, follower: routed.follower },
          'executor: an intent waits for its connection to open',
        );
      const opening = (async () => {
        await this.#ownership.get(routed.connection);
        await this.#options.engine.openConnection(routed.connection);
      })();
      opening.catch(() => undefined);
      await Promise.race([opening, this.#stopped]);
      this.#isOpen.add(routed.connection);
    } catch (error) {
      // Stopped while the connection was being opened (a broker tried again for a while): the
      // intent goes back to the partition's next owner, not into the journal as a failure.
      if (this.#stopping || (error instanceof TradeNovaError && error.code === ErrorCode.EngineStopped))
        this.#release(routed, 'the executor stopped while opening the connection');
      this.#stats.failed++;
      this.#record({
        type: 'order-failed',
        time: Date.now(),
        intent: syntheticIntent(routed, 'entry'),
        code: error instanceof TradeNovaError ? error.code : ErrorCode.BrokerDisconnected,
        message: `connection ${routed.connection} could not be opened: ${error instanceof Error ? error.message : String(error)}`,
      });
      return;
    }
    // Stopped while the connection opened: nothing was claimed yet.
    if (this.#stopping) this.#release(routed, 'the executor is stopping');
    const claimKey = `routed:${routed.signal.signalId}:${routed.follower}`;
    const first = await this.#options.dedupe.claim(claimKey, CLAIM_TTL_MS);
    if (!first && (await this.#settledEarlier(routed))) {
      return;
    }
    const result = await executeRouted(this.#options.engine, routed);
    if (!result.ok && result.error.code === ErrorCode.EngineStopped) {
      // Refused before anything reached the broker: not an outcome. The claim goes back so
      // the next owner's first claim executes it at once.
      await this.#options.dedupe.release(claimKey).catch((error: unknown) => {
        this.#logger.warn(
          { err: error, claimKey },
          'executor: claim not given back; the next owner checks the journal',
        );
      });
      this.#release(routed, 'the engine is stopping');
    }
    this.#stats.executed++;
    // This engine already executed it (a redelivery to the same member): its outcome is recorded.
    if (!result.ok && result.error.code !== RiskReason.DuplicateSignal) {
      this.#stats.failed++;
      // The engine recorded why (signal-rejected); this ties the failure to the account.
      this.#options.bus.publish({
        type: 'order-failed',
        time: Date.now(),
        intent: syntheticIntent(routed, 'entry'),
        code: result.error.code,
        message: `${result.error.field}: ${result.error.message}`,
      });
    }
  }

  /** Leaves a routed intent to the partition's next owner: counted, nothing recorded, never committed. */
  #release(routed: RoutedIntent, why: string): never {
    this.#stats.released++;
    this.#logger.info(
      { signalId: routed.signal.signalId, follower: routed.follower },
      `executor: released (${why})`,
    );
    throw new MessageReleased(`released: ${why}`);
  }

  /** Whether an earlier owner already finished this routed intent (journal) or placed its order (broker). */
  async #settledEarlier(routed: RoutedIntent): Promise<boolean> {
    const ids = routedIntentIds(routed);
    const journal = this.#options.journal;
    if (journal) {
      // A database error propagates: the message is delivered again rather than risk a second order.
      const all = [...ids.values()];
      const order = await journal.db
        .selectFrom('orders')
        .select('intent_id')
        .where('intent_id', 'in', all)
        .limit(1)
        .executeTakeFirst();
      const error =
        order ??
        (await journal.db
          .selectFrom('errors')
          .select('intent_id')
          .where('intent_id', 'in', all)
          // Written by versions that recorded a refusal at shutdown as a failure: not done.
          .where((eb) => eb.or([eb('code', 'is', null), eb('code', '!=', ErrorCode.EngineStopped)]))
          .limit(1)
          .executeTakeFirst());
      if (error) {
        this.#stats.alreadyDone++;
        this.#logger.info(
          { signalId: routed.signal.signalId, follower: routed.follower },
          'executor: already done',
        );
        return true;
      }
    }
    const connection = this.#options.connections[routed.connection];
    if (connection?.findOrderByClientId) {
      for (const [leg, id] of ids) {
        const order = await connection.findOrderByClientId(routed.accountId, id);
        if (!order) continue;
        this.#stats.foundAtBroker++;
        this.#logger.warn(
          { intentId: id, orderId: order.orderId },
          'executor: order found at the broker; not placed again',
        );
        this.#options.bus.publish({
          type: 'order-reconciled',
          time: Date.now(),
          intent: syntheticIntent(routed, leg),
          outcome: 'placed',
          orderId: order.orderId,
        });
        return true;
      }
    }
    return false;
  }

  #record(event: EngineEvent): void {
    this.#options.bus.publish(event);
  }

  async #flush(): Promise<void> {
    if (!(await journaled(this.#options.journal, this.#options.journalWaitMs ?? 2000))) {
      this.#logger.warn({}, 'executor: journal not durable in time; going on');
    }
  }
}

/** An intent standing for a routed intent in an error or reconciliation record. */
function syntheticIntent(routed: RoutedIntent, leg: IntentLeg): OrderIntent {
  const s = routed.signal;
  let contract: Contract = { root: '?', month: 'Z', year: 0 };
  if ('instrument' in s && s.instrument) {
    try {
      contract = parseContract(s.instrument, { at: s.detectedAt });
    } catch {
      // Unknown instrument: the placeholder says so in the record.
    }
  }
  return {
    intentId: intentId(s.signalId, routed.follower, leg),
    signalId: s.signalId,
    follower: routed.follower,
    broker: routed.broker,
    accountId: routed.accountId,
    leg,
    action: s.action === 'new' ? 'place' : s.action === 'flatten' ? 'flatten' : s.action,
    contract,
    side: 'side' in s ? s.side : 'buy',
    qty: 0,
    orderType: 'market',
    reducing: s.action !== 'new',
    createdAt: Date.now(),
  };
}
