import { z } from 'zod';

/** Tradovate's hosts per environment (§1 of the protocol notes). */
export const TRADOVATE_HOSTS = {
  demo: { baseUrl: 'https://demo.tradovateapi.com/v1', wsUrl: 'wss://demo.tradovateapi.com/v1/websocket' },
  live: { baseUrl: 'https://live.tradovateapi.com/v1', wsUrl: 'wss://live.tradovateapi.com/v1/websocket' },
} as const;

const positiveMs = z.number().int().positive();

/**
 * Settings of `broker: tradovate`. Credentials are plain strings here: the CLI
 * resolves `${env:NAME}` references before the adapter sees them, and the adapter
 * never logs or echoes them.
 */
export const tradovateConfigSchema = z
  .object({
    /** `demo` (simulated money) or `live`; picks the default hosts. */
    environment: z.enum(['demo', 'live']).default('demo'),
    /** REST base including `/v1`, overriding the environment's (a simulator, a partner host). */
    baseUrl: z.url().optional(),
    /** User WebSocket URL, overriding the environment's. Derived from `baseUrl` when only that is given. */
    wsUrl: z.url().optional(),
    /** Tradovate username. */
    username: z.string().min(1, 'username is required'),
    /** Password, or the API-dedicated password configured on the key. */
    password: z.string().min(1, 'password is required'),
    /** Application name registered with the API key. */
    appId: z.string().min(1).default('TradeNova'),
    appVersion: z.string().min(1).default('0.1.0'),
    /** A stable id of this machine; Tradovate enforces it on live. */
    deviceId: z.string().min(1).optional(),
    /** API key id (`cid`). */
    cid: z
      .union([z.number().int(), z.string().regex(/^\d+$/, 'cid must be a number').transform(Number)])
      .optional(),
    /** API key secret (`sec`). */
    secret: z.string().min(1).optional(),
    /** Account names (`accountSpec`, e.g. `DEMO1234567`) this connection serves; all of the user's when absent. */
    accounts: z.array(z.string().min(1)).optional(),
    /** Renew the access token this long before `expirationTime` (the official sample uses 15 minutes). */
    renewBeforeMs: positiveMs.default(15 * 60_000),
    /** Wait out a penalty ticket (`p-time`) up to this long; a longer one is a rate-limit error. */
    maxPenaltyWaitMs: z.number().int().min(0).default(10_000),
    /** Give up on one HTTP request after this long (the outcome is then unknown). */
    requestTimeoutMs: positiveMs.default(10_000),
    /** Send the `[]` heartbeat this often; the server drops a client that is silent for longer than ~2.5 s. */
    heartbeatMs: positiveMs.max(2_500).default(2_500),
    /** Treat the socket as dead after this long without any frame (the server sends `h` every 2.5 s). */
    staleAfterMs: positiveMs.default(10_000),
    /** Reconnect backoff: first delay and cap, in ms; each delay gets up to 50 % random jitter. */
    reconnect: z
      .object({ initialDelayMs: positiveMs.default(250), maxDelayMs: positiveMs.default(10_000) })
      .strict()
      .default({ initialDelayMs: 250, maxDelayMs: 10_000 }),
    /** Requests per second per connection the engine should stay under (Tradovate publishes no fixed cap). */
    requestsPerSecond: positiveMs.default(10),
  })
  .strict()
  .superRefine((config, ctx) => {
    // Live refuses token requests without a verified device id; fail at config time, naming the setting.
    if (config.environment === 'live' && config.deviceId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['deviceId'],
        message: 'deviceId is required when environment is live',
      });
    }
    if ((config.cid === undefined) !== (config.secret === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message: 'cid and secret go together: set both or neither',
      });
    }
  });

/** Parsed `broker: tradovate` settings. */
export type TradovateConfig = z.output<typeof tradovateConfigSchema>;

/** What the user writes (defaults not yet applied). */
export type TradovateConfigInput = z.input<typeof tradovateConfigSchema>;

/** The REST base and socket URL a config points at. */
export function resolveEndpoints(config: Pick<TradovateConfig, 'environment' | 'baseUrl' | 'wsUrl'>): {
  baseUrl: string;
  wsUrl: string;
} {
  const hosts = TRADOVATE_HOSTS[config.environment];
  const baseUrl = (config.baseUrl ?? hosts.baseUrl).replace(/\/+$/, '');
  const wsUrl =
    config.wsUrl ??
    (config.baseUrl === undefined ? hosts.wsUrl : `${baseUrl.replace(/^http/, 'ws')}/websocket`);
  return { baseUrl, wsUrl };
}
