import { z } from 'zod';

const positiveMs = z.number().int().positive();

/**
 * Settings of `broker: sierrachart`: Sierra Chart's DTC Protocol Server, JSON encoding,
 * with *Allow Trading* on. Credentials are plain strings here: the CLI resolves
 * `${env:NAME}` references first, and the adapter never logs them.
 */
export const sierraChartConfigSchema = z
  .object({
    /** Host of the Sierra Chart machine (the server's *Allowed Incoming IPs* must admit us). */
    host: z.string().min(1).default('127.0.0.1'),
    /** The DTC server's *Listening Port* (commonly 11099; read it from Sierra's settings). */
    port: z.number().int().min(1).max(65_535).default(11_099),
    /** Sent in LOGON_REQUEST; whether Sierra checks them depends on its server settings. */
    username: z.string().default(''),
    password: z.string().default(''),
    /**
     * `request`: open with the binary ENCODING_REQUEST asking for JSON (server *Encoding*
     * on Automatic). `json`: speak JSON from the first byte (server *Encoding* set to JSON).
     */
    encoding: z.enum(['request', 'json']).default('request'),
    /** HEARTBEAT interval asked for at logon; a peer silent for twice this long is dead. */
    heartbeatIntervalSeconds: z.number().int().min(1).max(300).default(10),
    /** Trade accounts this connection serves; every account the server lists when absent. */
    accounts: z.array(z.string().min(1)).optional(),
    /**
     * How a contract is written as a DTC `Symbol` on this Sierra Chart service. Tokens:
     * `{root}`, `{month}` (month code), `{y}` (last digit of the year), `{yy}`, `{yyyy}`,
     * `{exchange}` (the product's exchange, e.g. CME). `MNQZ25-CME` by default.
     */
    symbolFormat: z.string().min(1).default('{root}{month}{yy}-{exchange}'),
    /** The DTC `Exchange` field (empty when the symbol carries the exchange, as by default). */
    exchange: z.string().default(''),
    /** `TradeMode` in the logon (informational at Sierra). */
    tradeMode: z.enum(['demo', 'simulated', 'live']).optional(),
    /** `ClientName` in the logon, shown in Sierra's server connection list. */
    clientName: z.string().min(1).max(31).default('TradeNova'),
    /** Give up waiting for an answer after this long (the outcome is then unknown). */
    requestTimeoutMs: positiveMs.default(5_000),
    /** Reconnect backoff: first delay and cap, in ms; each delay gets up to 50 % random jitter. */
    reconnect: z
      .object({ initialDelayMs: positiveMs.default(250), maxDelayMs: positiveMs.default(10_000) })
      .strict()
      .default({ initialDelayMs: 250, maxDelayMs: 10_000 }),
    /** Days of fills asked for after a reconnect to find fills missed while down. */
    fillHistoryDays: z.number().int().min(1).max(30).default(1),
    /** Requests per second the engine should stay under (Sierra publishes no limit). */
    requestsPerSecond: positiveMs.default(20),
  })
  .strict();

/** Parsed `broker: sierrachart` settings. */
export type SierraChartConfig = z.output<typeof sierraChartConfigSchema>;

/** What the user writes (defaults not yet applied). */
export type SierraChartConfigInput = z.input<typeof sierraChartConfigSchema>;
