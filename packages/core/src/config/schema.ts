import { z } from 'zod';

/** A money amount as written in config: `500`, `"1250.50"`. Converted to mils by `parseMoney`. */
export const moneyInput = z.union([z.number(), z.string().regex(/^-?\d+(\.\d{1,3})?$/, 'a decimal amount')]);

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM');

export const scalingSchema = z
  .discriminatedUnion('mode', [
    z.object({ mode: z.literal('fixed'), qty: positiveInt }).strict(),
    z.object({ mode: z.literal('multiplier'), factor: z.number().positive() }).strict(),
    z
      .object({
        mode: z.literal('equity'),
        /** Equity the leader's size corresponds to; the follower's own balance is compared with it. */
        leaderEquity: moneyInput,
        /** Overrides the follower's balance as its equity. */
        followerEquity: moneyInput.optional(),
      })
      .strict(),
    z
      .object({
        mode: z.literal('risk'),
        /** Risk per trade as an amount ... */
        amount: moneyInput.optional(),
        /** ... or as a percent of the follower's equity. */
        percent: z.number().positive().max(100).optional(),
        /** Stop distance to assume when the leader's order has no stop-loss. */
        defaultStopTicks: positiveInt.optional(),
      })
      .strict()
      .refine((s) => (s.amount === undefined) !== (s.percent === undefined), {
        message: 'give exactly one of amount or percent',
      }),
  ])
  .default({ mode: 'multiplier', factor: 1 });

export const symbolMapSchema = z.record(
  z.string().regex(/^[A-Z0-9]+$/, 'an instrument root such as NQ'),
  z
    .object({
      to: z.string().regex(/^[A-Z0-9]+$/, 'an instrument root such as MNQ'),
      ratio: z.number().positive().default(1),
    })
    .strict(),
);

export const tradingWindowSchema = z
  .object({
    start: hhmm,
    end: hhmm,
    /** ISO weekdays 1 (Monday) to 7 (Sunday); every day when absent. */
    days: z.array(z.number().int().min(1).max(7)).optional(),
  })
  .strict();

export const riskSchema = z
  .object({
    /** Largest single order (fat-finger cap); 1000 when absent (`DEFAULT_MAX_ORDER_QTY`). */
    maxOrderQty: positiveInt.optional(),
    /** One cap for every instrument, or a cap per root. */
    maxPosition: z.union([positiveInt, z.record(z.string(), positiveInt)]).optional(),
    /** Realized + unrealized loss for the session that locks the account out and flattens it. */
    dailyLossLimit: moneyInput.optional(),
    allowedInstruments: z.array(z.string()).optional(),
    tradingWindows: z.array(tradingWindowSchema).optional(),
    /** Time of day after which the account is flattened and new entries blocked until the next session. */
    flatBy: hhmm.optional(),
    /** Time zone of trading windows and flat-by; the exchange's by default. */
    timezone: z.string().default('America/Chicago'),
    /** At most this many orders per rolling minute. */
    maxOrdersPerMinute: positiveInt.optional(),
    trailingDrawdown: z
      .object({ amount: moneyInput, mode: z.enum(['intraday', 'end-of-day']).default('intraday') })
      .strict()
      .optional(),
    /** Total open contracts across all instruments (prop-firm rule). */
    maxContracts: positiveInt.optional(),
    /** Count a micro as a tenth of a contract for maxContracts, as some firms do. */
    microsAsTenth: z.boolean().default(false),
  })
  .strict()
  .default({ timezone: 'America/Chicago', microsAsTenth: false });

/** Connection settings for one account at one broker; adapters read `options`. */
const accountRef = {
  /** Adapter name (`paper`, `tradovate`, ...) or `module:` for a local plugin. */
  broker: z.string().default('paper'),
  /** Account id at the broker. */
  account: z.string().min(1),
  /** Name of a shared connection in `connections:` (several accounts on one login). */
  connection: z.string().optional(),
};

export const followerSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    ...accountRef,
    enabled: z.boolean().default(true),
    /** Prop firm this account belongs to; accounts of one firm may not hold opposite positions. */
    firm: z.string().optional(),
    /** Starting balance for the paper broker and equity scaling. */
    startingBalance: moneyInput.default(50_000),
    scaling: scalingSchema,
    /** Copy the opposite side of every leader order. */
    inverse: z.boolean().default(false),
    rounding: z.enum(['floor', 'round', 'ceil']).default('round'),
    /** What to do when scaling gives 0 contracts. */
    whenZero: z.enum(['skip', 'min1']).default('skip'),
    minQty: positiveInt.optional(),
    maxQty: positiveInt.optional(),
    symbolMap: symbolMapSchema.default({}),
    /** How a leader reversal is copied: close then open (two orders), or one net order. */
    reversal: z.enum(['split', 'net']).default('split'),
    risk: riskSchema,
  })
  .strict();

export const leaderSchema = z
  .object({
    name: z.string().default('leader'),
    ...accountRef,
  })
  .strict();

export const connectionSchema = z
  .object({
    broker: z.string(),
    /** Adapter-specific settings (credentials as `${env:NAME}` references). */
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const paperSchema = z
  .object({
    latencyMs: nonNegativeInt.default(0),
    /** Random extra latency up to this many ms (seeded, so replays stay deterministic). */
    jitterMs: nonNegativeInt.default(0),
    slippageTicks: nonNegativeInt.default(0),
    /** Probability in [0, 1) that the paper broker rejects an order. */
    rejectRate: z.number().min(0).max(1).default(0),
    partialFills: z.boolean().default(false),
    seed: z.number().int().default(1),
  })
  .strict()
  .default({ latencyMs: 0, jitterMs: 0, slippageTicks: 0, rejectRate: 0, partialFills: false, seed: 1 });

export const engineOptionsSchema = z
  .object({
    /** Per-order deadline in ms; past it the outcome is unknown until reconciled. */
    orderDeadlineMs: positiveInt.default(2500),
    /** Consecutive transport failures that open a broker connection's breaker. */
    breakerThreshold: positiveInt.default(5),
    /** How long an open breaker waits before letting one order try. */
    breakerHalfOpenMs: positiveInt.default(10_000),
    /** Orders in flight per broker connection; more wait in the queue. */
    bulkheadLimit: positiveInt.default(64),
    /** Orders allowed to wait for a slot. */
    bulkheadQueue: nonNegativeInt.default(10_000),
    /** What reconciliation does with a follower out of line with the scaled leader. */
    reconcile: z.enum(['align', 'alert', 'flatten']).default('alert'),
    /** Reconcile a connection's followers when it comes back after a drop. */
    reconcileOnReconnect: z.boolean().default(true),
  })
  .strict()
  .default({
    orderDeadlineMs: 2500,
    breakerThreshold: 5,
    breakerHalfOpenMs: 10_000,
    bulkheadLimit: 64,
    bulkheadQueue: 10_000,
    reconcile: 'alert',
    reconcileOnReconnect: true,
  });

/**
 * External services (see docs/operations.md). Plain settings only: core never talks to
 * Kafka, PostgreSQL or Redis; the CLI reads this section and wires them in.
 */
export const servicesSchema = z
  .object({
    /** The journal of record: every signal, intent, order, execution, position, status and error. */
    journal: z
      .object({
        /** Off: nothing is journaled (e.g. a throwaway demo). */
        enabled: z.boolean().default(true),
        /** `postgres://…` for a PostgreSQL server, otherwise a directory for the embedded database (PGlite). */
        url: z.string().min(1).default('.tradenova/journal'),
        /** PostgreSQL schema to use (default the connection's search path). */
        schema: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, 'a plain lower-case identifier')
          .optional(),
      })
      .strict()
      .default({ enabled: true, url: '.tradenova/journal' }),
    /** Kafka: publish every event to the design's topics and/or read signals from `trade.signals`. */
    kafka: z
      .object({
        /** `host:port` of one or more brokers. */
        brokers: z.array(z.string().min(1)).min(1, 'at least one broker'),
        /** Prepended to every topic name (several deployments on one cluster). */
        prefix: z.string().default(''),
        clientId: z.string().default('tradenova'),
        /** Publish engine events (the Kafka sink). */
        publish: z.boolean().default(true),
        /** Copy the signals published on `trade.signals` (the Kafka source). */
        consumeSignals: z.boolean().default(true),
        /** Consumer group prefix: groups are `<group>-router` and `<group>-executor`. */
        group: z.string().default('tradenova'),
        /**
         * How long a consumer group waits for a silent (killed) member before its partitions
         * move (router and executor groups; default 3000). The broker's
         * `group.min.session.timeout.ms` (6000 unless set) is the floor.
         */
        sessionTimeoutMs: z.number().int().min(1000).max(1_800_000).optional(),
        /** How often a group member tells the group it is alive (default 500; under a third of the session timeout). */
        heartbeatIntervalMs: z.number().int().min(100).max(600_000).optional(),
        /** How often each process publishes its health on `system.heartbeat` (default 5000; 0: never). */
        statusIntervalMs: z.number().int().min(0).max(3_600_000).optional(),
      })
      .strict()
      .refine(
        (k) =>
          k.heartbeatIntervalMs === undefined || k.heartbeatIntervalMs * 3 <= (k.sessionTimeoutMs ?? 3000),
        {
          message: 'heartbeatIntervalMs must be at most a third of sessionTimeoutMs',
          path: ['heartbeatIntervalMs'],
        },
      )
      .optional(),
    /** Redis: live follower settings, the kill switch, intent dedupe and broker tokens, shared by every process. */
    redis: z
      .object({
        /** `redis://[user:password@]host:port[/db]`. */
        url: z.string().min(1),
        /** Prefix of every key and channel. */
        prefix: z.string().default('tn:'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .default({ journal: { enabled: true, url: '.tradenova/journal' } });

/**
 * An HTTP endpoint that takes TradingView-style JSON alerts and turns them into
 * leader signals (the CLI serves it; see docs/webhook.md).
 */
export const webhookSourceSchema = z
  .object({
    kind: z.literal('webhook'),
    /** TCP port to listen on (0 picks a free one). */
    port: z.number().int().min(0).max(65_535),
    /** Address to bind; loopback by default, behind a TLS reverse proxy. */
    host: z.string().min(1).default('127.0.0.1'),
    /** The one path alerts are posted to. */
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9/_.~-]*$/, 'a URL path such as /tradingview')
      .default('/webhook'),
    /** Shared token every alert must carry (in its body or a header); use a `${secret:name}` reference. */
    token: z.string().min(16, 'at least 16 characters (make one: openssl rand -hex 24)'),
    /** Largest body accepted, in bytes; a larger one is refused with 413. */
    maxBodyBytes: positiveInt.max(1_048_576).default(65_536),
  })
  .strict();

/**
 * A live price feed (dxFeed over dxLink): marks unrealized P&L, feeds the loss checks
 * that need a price, and reports a stale or dropped feed as a `service-status` event.
 */
export const marketDataSchema = z
  .object({
    /** The feed: `dxfeed`. */
    source: z.literal('dxfeed'),
    /** The feed's own options (for dxfeed: `url`, `token`, `staleAfterMs`; see docs/adapters/dxfeed.md). */
    options: z.record(z.string(), z.unknown()).default({}),
    /** `loopback` starts the feed's simulator in this process (a random walk per subscribed contract). */
    simulator: z.literal('loopback').optional(),
  })
  .strict();

/**
 * What a `run` does at start-up with a follower out of line with its leader (after a
 * crash, a restart, orders placed while it was down). See docs/config.md.
 */
export const reconcileSchema = z
  .object({
    /**
     * align: settle the journal's unfinished orders at the brokers, copy the leader's
     * working orders a follower lacks, cancel copies of leader orders gone, align
     * positions; alert: look and report only; off: do nothing (the run says so).
     */
    onStart: z.enum(['align', 'alert', 'off']).default('align'),
  })
  .strict()
  .default({ onStart: 'align' });

/** Where signals come from besides the leader's broker account. */
export const sourceSchema = z.discriminatedUnion('kind', [webhookSourceSchema]);

export const engineConfigSchema = z
  .object({
    /** Config file format version. */
    version: z.literal(1).default(1),
    leader: leaderSchema,
    followers: z.array(followerSchema).min(1, 'at least one follower'),
    connections: z.record(z.string(), connectionSchema).default({}),
    paper: paperSchema,
    engine: engineOptionsSchema,
    services: servicesSchema,
    /** Start-up recovery (`reconcile.onStart`). */
    reconcile: reconcileSchema,
    /** Extra signal sources (a webhook); the leader's broker account is always one. */
    sources: z.array(sourceSchema).optional(),
    /** Live prices for P&L and price-based risk checks (dxFeed). */
    marketData: marketDataSchema.optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.followers.forEach((f, i) => {
      const prev = seen.get(f.name);
      if (prev !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['followers', i, 'name'],
          message: `duplicate follower name "${f.name}" (also followers[${prev}])`,
        });
      }
      seen.set(f.name, i);
      if (f.minQty !== undefined && f.maxQty !== undefined && f.minQty > f.maxQty) {
        ctx.addIssue({ code: 'custom', path: ['followers', i, 'minQty'], message: 'minQty is above maxQty' });
      }
      if (f.connection !== undefined && !(f.connection in cfg.connections)) {
        ctx.addIssue({
          code: 'custom',
          path: ['followers', i, 'connection'],
          message: `no connection named "${f.connection}" in connections`,
        });
      }
    });
  });

/** The config as written (before defaults). */
export type EngineConfigInput = z.input<typeof engineConfigSchema>;
/** The config with every default filled in. */
export type EngineConfig = z.output<typeof engineConfigSchema>;
export type FollowerConfig = EngineConfig['followers'][number];
export type LeaderConfig = EngineConfig['leader'];
export type ScalingConfig = FollowerConfig['scaling'];
export type RiskConfig = FollowerConfig['risk'];
export type SymbolMap = FollowerConfig['symbolMap'];
export type PaperConfig = EngineConfig['paper'];
export type SourceConfig = NonNullable<EngineConfig['sources']>[number];
export type WebhookSourceConfig = Extract<SourceConfig, { kind: 'webhook' }>;
export type ServicesConfig = EngineConfig['services'];
