import { z } from 'zod';

/** The `dxfeed` market-data config: a dxLink WebSocket URL and an optional token. */
export const dxFeedConfigSchema = z.object({
  /** dxLink endpoint, e.g. `wss://demo.dxfeed.com/dxlink-ws` or one a broker returns with its token. */
  url: z.string().min(1),
  /** Opaque dxLink token (never logged). */
  token: z.string().optional(),
  /** A contract without a quote or trade for this long is stale. */
  staleAfterMs: z.number().int().positive().default(5_000),
  /** Requested aggregation period in seconds (the server decides). */
  aggregationPeriodSeconds: z.number().positive().default(0.1),
  /** Keepalive interval and timeouts in seconds, as the official client takes them. */
  keepaliveIntervalSeconds: z.number().positive().default(30),
  keepaliveTimeoutSeconds: z.number().positive().default(60),
  /** How long `start()` waits for the connection. */
  connectTimeoutMs: z.number().int().positive().default(10_000),
});

/** A parsed `dxfeed` config. */
export type DxFeedConfig = z.infer<typeof dxFeedConfigSchema>;
/** A `dxfeed` config as written. */
export type DxFeedConfigInput = z.input<typeof dxFeedConfigSchema>;
