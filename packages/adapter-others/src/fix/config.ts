import { z } from 'zod';

/** Extra FIX fields by dictionary name (e.g. `{ "SenderLocationID": "US" }`), merged onto a message. */
const customFields = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

/** The `fix` adapter's config: one FIX session (one gateway, one set of CompIDs) serving listed accounts. */
export const fixConfigSchema = z.object({
  /** Gateway host and port (the broker's rules of engagement). */
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65_535),
  /** FIX version of the gateway: picks the dictionary and the 4.2 / 4.4 message differences. */
  version: z.enum(['4.2', '4.4']).default('4.4'),
  /** Path to a custom QuickFIX XML dictionary (e.g. FIX42 with Username/Password on Logon). */
  dictionary: z.string().optional(),
  senderCompId: z.string().min(1),
  targetCompId: z.string().min(1),
  senderSubId: z.string().optional(),
  targetSubId: z.string().optional(),
  /** Logon credentials (553/554 in 4.4; in 4.2 only with a custom dictionary, see docs). Never logged. */
  username: z.string().optional(),
  password: z.string().optional(),
  /** FIX has no account list message: the accounts this session may trade (tag 1). */
  accounts: z.array(z.string().min(1)).min(1),
  heartbeatSeconds: z.number().int().positive().default(30),
  /** Send 141=Y on logon: both sides restart at 1 (only when the broker's schedule says so). */
  resetSeqNumOnLogon: z.boolean().default(false),
  /** Directory of the QuickFIX-compatible file store (sequence numbers survive a restart); memory when absent. */
  storeDirectory: z.string().optional(),
  /** Extra Logon fields by dictionary name. */
  logonFields: customFields.optional(),
  /** Extra fields on every NewOrderSingle / cancel / replace, by dictionary name. */
  orderFields: customFields.optional(),
  /** How contracts are written: 55 as root (`MNQ`) or full (`MNQZ5`), maturity in 200 (YYYYMM) or 541 (YYYYMMDD, 4.4). */
  symbology: z
    .object({
      symbol: z.enum(['root', 'full']).default('root'),
      maturity: z.enum(['200', '541']).default('200'),
      securityType: z.string().default('FUT'),
      /** Value of 207; the instrument's exchange (`CME`, `CBOT`, …) when absent. */
      securityExchange: z.string().optional(),
    })
    .prefault({}),
  /** How long to wait for the gateway's answer to an order request. */
  requestTimeoutMs: z.number().int().positive().default(5_000),
  connectTimeoutSeconds: z.number().int().positive().default(10),
  /** How long `disconnect()` waits for the gateway to answer our Logout before closing the socket. */
  logoutTimeoutMs: z.number().int().positive().default(2_000),
  reconnect: z
    .object({
      initialDelayMs: z.number().int().positive().default(1_000),
      maxDelayMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
});

/** A parsed `fix` config. */
export type FixConfig = z.infer<typeof fixConfigSchema>;
/** A `fix` config as written (defaults optional). */
export type FixConfigInput = z.input<typeof fixConfigSchema>;
/** The symbology part of the config. */
export type FixSymbology = FixConfig['symbology'];
