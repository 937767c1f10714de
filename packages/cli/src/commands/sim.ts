import { once } from 'node:events';
import { startSimulator } from '../brokers/simulators.js';
import { ExitCode } from '../errors.js';
import type { CommandIo } from './replay.js';

/** `tradenova sim <broker>`: one simulator in the foreground until SIGINT or SIGTERM. */
export async function simCommand(
  broker: string,
  options: { port: number; accounts?: string; dir?: string },
  io: CommandIo,
  stop: Promise<unknown> = Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]),
): Promise<number> {
  const accounts = options.accounts
    ?.split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const sim = await startSimulator(broker, {
    port: options.port,
    ...(accounts ? { accounts } : {}),
    ...(options.dir !== undefined ? { dir: options.dir } : {}),
  });
  io.stdout.write(`${broker} simulator running (any credentials are accepted)\n`);
  for (const [name, where] of Object.entries(sim.endpoints))
    io.stdout.write(`  ${name.padEnd(10)} ${where}\n`);
  io.stdout.write(`  accounts   ${sim.accounts.join(', ')}\n`);
  io.stdout.write('Press Ctrl-C to stop.\n');
  await stop;
  await sim.close();
  io.stdout.write(`${broker} simulator stopped\n`);
  return ExitCode.Ok;
}
