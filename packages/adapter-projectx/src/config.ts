import { z } from 'zod';

/**
 * Known firms' hosts (§1). Other firms on the platform: set `baseUrl` and
 * `hubUrl` yourself; their naming pattern is UNCONFIRMED, so the table stays data.
 */
export const PROJECTX_FIRMS = {
  topstepx: { baseUrl: 'https://api.topstepx.com', hubUrl: 'https://rtc.topstepx.com/hubs/user' },
  demo: {
    baseUrl: 'https://gateway-api-demo.s2f.projectx.com',
    hubUrl: 'https://gateway-rtc-demo.s2f.projectx.com/hubs/user',
  },
} as const;

/** A firm with built-in hosts. */
export type ProjectXFirm = keyof typeof PROJECTX_FIRMS;

const positiveMs = z.number().int().positive();

/**
 * Settings of `broker: projectx`. The API key is a plain string here: the CLI
 * resolves `${env:NAME}` before the adapter sees it, and the adapter never logs it.
 */
export const projectxConfigSchema = z
  .object({
    /** Picks the default hosts; `topstepx` unless `baseUrl` and `hubUrl` are given. */
    firm: z.enum(['topstepx', 'demo']).default('topstepx'),
    /** REST host root (without `/api`), overriding the firm's: another firm, or a simulator. */
    baseUrl: z.url().optional(),
    /** User hub URL (`https://…/hubs/user`), overriding the firm's. */
    hubUrl: z.url().optional(),
    /** Platform login name (not an email, not an account name). */
    userName: z.string().min(1, 'userName is required'),
    /** API key from the firm's API settings. */
    apiKey: z.string().min(1, 'apiKey is required'),
    /** Account names (e.g. `PRAC-V2-12345-67890`) this connection serves; every active account when absent. */
    accounts: z.array(z.string().min(1)).optional(),
    /** `live` of `Contract/search`: which market-data subscription to search (false: the sim data feed). */
    liveContracts: z.boolean().default(false),
    /** Assumed token lifetime when the token is not a readable JWT (ProjectX: 24 h). */
    tokenLifetimeMs: positiveMs.default(24 * 3_600_000),
    /** Renew through `Auth/validate` this long before expiry (never later than half the lifetime). */
    renewBeforeMs: positiveMs.default(4 * 3_600_000),
    /** Give up on one HTTP request after this long (the outcome is then unknown). */
    requestTimeoutMs: positiveMs.default(10_000),
    /** The REST limit shared by every call under this key (§9: 200 per 60 s); the client queues within it. */
    rateLimit: z
      .object({ requests: positiveMs.default(200), perMs: positiveMs.default(60_000) })
      .strict()
      .default({ requests: 200, perMs: 60_000 }),
    /** Requests of each window kept back from the engine's budget for renewals and the poll fallback. */
    reservedRequests: z.number().int().min(0).default(20),
    /** Share of the rate limit the poll fallback may use while the hub is down (0–1]. */
    pollShare: z.number().positive().max(1).default(0.5),
    /** Fastest poll of the REST search endpoints while the hub is down; slower with many accounts. */
    pollIntervalMs: positiveMs.default(2_000),
    /** How far back `Order/search` and `Trade/search` look (restarts, `findOrderByClientId`, the poll fallback). */
    historyLookbackMs: positiveMs.default(3 * 86_400_000),
    /** User hub options. */
    hub: z
      .object({
        /** Connect straight to the WebSocket with the token in the URL, as ProjectX's samples do. */
        skipNegotiation: z.boolean().default(true),
        /** Treat the hub as dead after this long without any message (SignalR default 30 s). */
        serverTimeoutMs: positiveMs.default(30_000),
        /** Ping the hub this often (SignalR default 15 s). */
        keepAliveMs: positiveMs.default(15_000),
        /** Reconnect backoff: first delay and cap; each delay gets up to 50 % random jitter. */
        reconnectInitialDelayMs: positiveMs.default(500),
        reconnectMaxDelayMs: positiveMs.default(15_000),
      })
      .strict()
      .default({
        skipNegotiation: true,
        serverTimeoutMs: 30_000,
        keepAliveMs: 15_000,
        reconnectInitialDelayMs: 500,
        reconnectMaxDelayMs: 15_000,
      }),
    /** CME root → ProjectX root overrides for contract ids (`ES: EP` is built in). */
    contractRoots: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.hub.serverTimeoutMs <= config.hub.keepAliveMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['hub', 'serverTimeoutMs'],
        message: 'hub.serverTimeoutMs must be longer than hub.keepAliveMs',
      });
    }
    if (config.reservedRequests >= config.rateLimit.requests) {
      ctx.addIssue({
        code: 'custom',
        path: ['reservedRequests'],
        message: 'reservedRequests must leave part of rateLimit.requests to the engine',
      });
    }
  });

/** Parsed `broker: projectx` settings. */
export type ProjectXConfig = z.output<typeof projectxConfigSchema>;

/** What the user writes (defaults not yet applied). */
export type ProjectXConfigInput = z.input<typeof projectxConfigSchema>;

/** The REST root and hub URL a config points at. */
export function resolveEndpoints(config: Pick<ProjectXConfig, 'firm' | 'baseUrl' | 'hubUrl'>): {
  baseUrl: string;
  hubUrl: string;
} {
  const firm = PROJECTX_FIRMS[config.firm];
  const baseUrl = (config.baseUrl ?? firm.baseUrl).replace(/\/+$/, '').replace(/\/api$/, '');
  const hubUrl = config.hubUrl ?? (config.baseUrl === undefined ? firm.hubUrl : `${baseUrl}/hubs/user`);
  return { baseUrl, hubUrl };
}
