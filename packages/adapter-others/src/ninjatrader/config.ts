import { join } from 'node:path';
import { z } from 'zod';

const positiveMs = z.number().int().positive();

/**
 * Settings of `broker: ninjatrader`. NinjaTrader runs on a Windows desktop; the adapter
 * drives it through the documented Order Instruction Files: it writes commands into the
 * `incoming` folder and reads order, position and connection state from `outgoing`.
 * Either folder may be local or on a Windows share mounted on this machine.
 */
export const ninjaTraderConfigSchema = z
  .object({
    /** NinjaTrader's user folder (`Documents\NinjaTrader 8`); `incoming` and `outgoing` live under it. */
    folder: z.string().min(1).optional(),
    /** The folder NinjaTrader reads OIF files from, overriding `<folder>/incoming`. */
    incomingDir: z.string().min(1).optional(),
    /** The folder NinjaTrader writes information update files to, overriding `<folder>/outgoing`. */
    outgoingDir: z.string().min(1).optional(),
    /**
     * Where the adapter keeps its journal of placed orders (what the outgoing files do not
     * say: instrument, side, type, prices), so a restart knows its earlier orders in full.
     * `<folder>/tradenova` (or next to `incoming`) by default.
     */
    journalDir: z.string().min(1).optional(),
    /** Account names (NinjaTrader's account *Name*, e.g. `Sim101`) this connection trades. */
    accounts: z.array(z.string().min(1)).min(1, 'list at least one NinjaTrader account name'),
    /**
     * The Connection Manager name whose `<name>.txt` tells whether NinjaTrader is connected
     * to the broker. When absent every connection file must read CONNECTED.
     */
    connectionName: z.string().min(1).optional(),
    /** Time in force of every placement when the intent names none. */
    defaultTimeInForce: z.enum(['day', 'gtc']).default('day'),
    /** How long a placement waits for NinjaTrader's first order-state file before its outcome is unknown. */
    ackTimeoutMs: positiveMs.default(5_000),
    /** How long to wait before reading again a file that was still being rewritten when read. */
    debounceMs: z.number().int().min(0).default(2),
    /** Re-scan the outgoing folder this often in case a change notification was lost (SMB shares drop them). */
    rescanMs: positiveMs.default(1_000),
    /** Requests per second the engine should stay under (NinjaTrader publishes no limit; file I/O sets one). */
    requestsPerSecond: positiveMs.default(20),
    /**
     * How commands and state travel: `files` (the documented Order Instruction Files, the
     * default) or `socket` — EXPERIMENTAL: the ATI socket NinjaTrader's own client DLL uses,
     * which NinjaTrader does not document (see docs/adapters/ninjatrader.md).
     */
    transport: z.enum(['files', 'socket']).default('files'),
    /** The ATI socket, when `transport` is `socket`. */
    socket: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        /** NinjaTrader's ATI port (Tools → Options → Automated trading interface). */
        port: z.number().int().min(1).max(65_535).default(36_973),
        /** Give up on one connection attempt after this long without NinjaTrader's `ATI` = `True`. */
        openTimeoutMs: positiveMs.default(5_000),
        /** Reconnect backoff after the socket is lost: first delay and cap. */
        reconnect: z
          .object({ initialDelayMs: positiveMs.default(250), maxDelayMs: positiveMs.default(10_000) })
          .strict()
          .default({ initialDelayMs: 250, maxDelayMs: 10_000 }),
      })
      .strict()
      .default({
        host: '127.0.0.1',
        port: 36_973,
        openTimeoutMs: 5_000,
        reconnect: { initialDelayMs: 250, maxDelayMs: 10_000 },
      }),
  })
  .strict()
  .superRefine((config, ctx) => {
    // Fail at config time, naming the setting, instead of watching a folder that was never meant.
    if (config.transport === 'socket') {
      // The socket needs no folders, but the journal of placed orders still lives on disk.
      if (config.folder === undefined && config.journalDir === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['journalDir'],
          message: 'with transport socket, set journalDir (or folder) for the journal of placed orders',
        });
      }
    } else if (
      config.folder === undefined &&
      (config.incomingDir === undefined || config.outgoingDir === undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['folder'],
        message: 'set folder (NinjaTrader 8 user folder) or both incomingDir and outgoingDir',
      });
    }
  });

/** Parsed `broker: ninjatrader` settings. */
export type NinjaTraderConfig = z.output<typeof ninjaTraderConfigSchema>;

/** What the user writes (defaults not yet applied). */
export type NinjaTraderConfigInput = z.input<typeof ninjaTraderConfigSchema>;

/** The three folders a config points at. */
export interface NinjaTraderFolders {
  incoming: string;
  outgoing: string;
  journal: string;
}

/** Resolves `incoming`, `outgoing` and the journal folder from a config. */
export function resolveFolders(
  config: Pick<NinjaTraderConfig, 'folder' | 'incomingDir' | 'outgoingDir' | 'journalDir'>,
): NinjaTraderFolders {
  // With the socket transport and no folder, the folders are unused and left empty.
  const incoming = config.incomingDir ?? (config.folder === undefined ? '' : join(config.folder, 'incoming'));
  const outgoing = config.outgoingDir ?? (config.folder === undefined ? '' : join(config.folder, 'outgoing'));
  const journal = config.journalDir ?? join(config.folder ?? join(incoming, '..'), 'tradenova');
  return { incoming, outgoing, journal };
}
