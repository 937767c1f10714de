import { once } from 'node:events';
import { startSimulator } from '../brokers/simulators.js';
import { ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { parseSimPrices, type RunningPrices, startSimPrices } from './sim-prices.js';

/**
 * `tradenova sim <broker>`: one simulator in the foreground until SIGINT or SIGTERM, with
 * prices running into its exchange (`--prices`, a random walk by default) so that an outside
 * tool's market orders fill and its resting orders can be reached.
 */
export async function simCommand(
  broker: string,
  options: { port: number; accounts?: string; dir?: string; prices?: string },
  io: CommandIo,
  stop: Promise<unknown> = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]),
): Promise<number> {
  if (broker === 'dxfeed') {
    // Market data only: a dxLink server whose symbols random-walk once subscribed.
    const { startMarketDataSimulator } = await import('../brokers/simulators.js');
    const feed = await startMarketDataSimulator('dxfeed', { port: options.port });
    io.stdout.write('dxfeed (dxLink) simulator running (any token is accepted)\n');
    for (const [name, where] of Object.entries(feed.endpoints))
      io.stdout.write(`  ${name.padEnd(10)} ${where}\n`);
    io.stdout.write('  prices     a random walk per subscribed symbol, e.g. /MNQZ25:XCME\n');
    io.stdout.write('Press Ctrl-C to stop.\n');
    await untilStopped(stop);
    await feed.close();
    io.stdout.write('dxfeed simulator stopped\n');
    return ExitCode.Ok;
  }
  const accounts = options.accounts
    ?.split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const source = parseSimPrices(options.prices);
  const sim = await startSimulator(broker, {
    port: options.port,
    ...(accounts ? { accounts } : {}),
    ...(options.dir !== undefined ? { dir: options.dir } : {}),
  });
  let prices: RunningPrices;
  try {
    prices = await startSimPrices(source, sim.exchange);
  } catch (error) {
    await sim.close();
    throw error;
  }
  io.stdout.write(`${broker} simulator running (any credentials are accepted)\n`);
  for (const [name, where] of Object.entries(sim.endpoints))
    io.stdout.write(`  ${name.padEnd(10)} ${where}\n`);
  io.stdout.write(`  accounts   ${sim.accounts.join(', ')}\n`);
  io.stdout.write(`  prices     ${prices.description}\n`);
  io.stdout.write('Press Ctrl-C to stop.\n');
  await untilStopped(stop);
  await prices.stop();
  await sim.close();
  io.stdout.write(`${broker} simulator stopped\n`);
  return ExitCode.Ok;
}

/**
 * Waits for the stop signal while keeping the process alive: a folder-based simulator
 * (NinjaTrader) holds no socket, and without a timer Node would exit at once with
 * "unsettled top-level await" (exit 13) instead of serving until Ctrl-C.
 */
async function untilStopped(stop: Promise<unknown>): Promise<void> {
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    await stop;
  } finally {
    clearInterval(keepAlive);
  }
}
