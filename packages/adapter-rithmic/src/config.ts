import { z } from 'zod';

/** Rithmic's gateways (protocol notes §1.1). Only the test gateway is confirmed officially. */
export const RITHMIC_GATEWAYS = {
  /** The sandbox network; it only knows the system `Rithmic Test`. */
  test: 'wss://rituz00100.rithmic.com:443',
  /** Shared production gateway, Chicago (used by third-party clients; not confirmed officially). */
  chicago: 'wss://rprotocol.rithmic.com:443',
} as const;

const positiveMs = z.number().int().positive();

/**
 * Settings of `broker: rithmic`. One connection is one Rithmic user: an order-plant
 * and a PnL-plant WebSocket, each logged in separately. The password is a plain
 * string here (the CLI resolves `${env:NAME}` first) and is never logged or echoed.
 */
export const rithmicConfigSchema = z
  .object({
    /** Gateway WebSocket URL; the test gateway by default. Rithmic gives production URLs after conformance. */
    gatewayUrl: z.url().default(RITHMIC_GATEWAYS.test),
    /** System name as `RequestRithmicSystemInfo` lists it, e.g. `Rithmic Test`, `Rithmic Paper Trading`, `Apex`. */
    systemName: z.string().min(1).default('Rithmic Test'),
    /** Rithmic user id. */
    user: z.string().min(1, 'user is required'),
    /** Rithmic password. */
    password: z.string().min(1, 'password is required'),
    /** App name as registered with Rithmic during conformance. */
    appName: z.string().min(1).default('TradeNova'),
    appVersion: z.string().min(1).default('0.1.0'),
    /** `template_version` of the login; Rithmic's samples send 3.9. */
    templateVersion: z.string().min(1).default('3.9'),
    /** How messages are framed on send: `prefixed` (4-byte length, Rithmic's Python samples) or `raw`. Both are read. */
    framing: z.enum(['prefixed', 'raw']).default('prefixed'),
    /** Account ids this connection serves; all of the user's when absent. */
    accounts: z.array(z.string().min(1)).optional(),
    /** Open the PnL plant for positions (needed for `getPositions` and position events). */
    pnlPlant: z.boolean().default(true),
    /** `manual_or_auto` on order requests; copied orders are machine-generated, so AUTO. */
    orderPlacement: z.enum(['AUTO', 'MANUAL']).default('AUTO'),
    /** Trade route for every order, overriding the one `RequestTradeRoutes` lists for the exchange. */
    tradeRoute: z.string().min(1).optional(),
    /** `window_name` on order requests: a label of where orders come from. */
    windowName: z.string().min(1).default('TradeNova'),
    /** Give up on one request after this long (the outcome is then unknown). */
    requestTimeoutMs: positiveMs.default(10_000),
    /** What to do after a `ForcedLogout` (another session took the login): stay down, or log in again after a pause. */
    onForcedLogout: z.enum(['stop', 'reconnect']).default('stop'),
    /** Reconnect backoff: first delay and cap, ms; each delay gets up to 50 % random jitter. */
    reconnect: z
      .object({ initialDelayMs: positiveMs.default(500), maxDelayMs: positiveMs.default(30_000) })
      .strict()
      .default({ initialDelayMs: 500, maxDelayMs: 30_000 }),
  })
  .strict();

/** Parsed `broker: rithmic` settings. */
export type RithmicConfig = z.output<typeof rithmicConfigSchema>;

/** What the user writes (defaults not yet applied). */
export type RithmicConfigInput = z.input<typeof rithmicConfigSchema>;
