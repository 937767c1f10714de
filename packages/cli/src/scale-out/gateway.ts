import type { Logger } from '@tradenova/core';
import { auditTrail } from '../api/audit.js';
import { gatewayBackend } from '../api/gateway-backend.js';
import { denyListFor } from '../api/index.js';
import { startApiServer } from '../api/server.js';
import { ExitCode } from '../errors.js';
import { type CommandIo, shutdownSignal } from '../io.js';
import type { PreparedServices } from '../services/live-services.js';

/** How the gateway runs and ends. */
export interface GatewayRunOptions {
  /** Where the API listens (`--api`). */
  address: string;
  /** The API's signing key, checked before any service was opened. */
  key: Uint8Array;
  durationS?: number;
  stop?: Promise<unknown>;
  redact: (text: string) => string;
  logger: Logger;
}

/**
 * `tradenova run --role gateway --api host:port`: no broker connection and no engine;
 * serves the control API for the whole cluster from Kafka (events), Redis (settings,
 * kill switch, revoked tokens) and the journal (orders, reports) until stopped. Prints
 * `gateway-started`, each control action as an `api-action` line, and `gateway-stopped`.
 */
export async function runGateway(
  prepared: PreparedServices,
  io: CommandIo,
  options: GatewayRunOptions,
): Promise<number> {
  const print = (line: Record<string, unknown>) =>
    io.stdout.write(`${options.redact(JSON.stringify(line))}\n`);
  const backend = await gatewayBackend(prepared, prepared.config, options.logger);
  const denyList = await denyListFor(prepared).catch(async (error: unknown) => {
    await backend.stop();
    throw error;
  });
  const started = Date.now();
  const signals = options.stop ? undefined : shutdownSignal();
  const triggers: Promise<unknown>[] = [options.stop ?? signals!.promise];
  let timer: NodeJS.Timeout | undefined;
  if (options.durationS !== undefined)
    triggers.push(new Promise((resolve) => (timer = setTimeout(resolve, options.durationS! * 1000))));
  try {
    const server = await startApiServer({
      address: options.address,
      key: options.key,
      denyList,
      backend,
      logger: options.logger,
      audit: auditTrail({
        db: prepared.services.journal?.db,
        print,
        onError: (error) => options.logger.warn({ err: error }, 'api: audit row not journaled'),
      }),
    });
    try {
      io.stderr.write(`tradenova: api at ${server.url}/v1 (tokens: tradenova api token create)\n`);
      print({ type: 'gateway-started', time: Date.now(), url: server.url });
      await Promise.race(triggers);
    } finally {
      await server.close();
    }
  } finally {
    if (timer) clearTimeout(timer);
    signals?.dispose();
    await backend.stop();
    await denyList.close();
  }
  print({ type: 'gateway-stopped', time: Date.now(), ranMs: Date.now() - started });
  return ExitCode.Ok;
}
