import { type Command, InvalidArgumentError } from 'commander';
import type { CommandIo } from './replay.js';

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number of seconds above 0');
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('a whole number');
  return n;
}

/**
 * Registers the live commands (`run`, `demo`, `accounts`, `flatten`) on the
 * program. Kept apart from program.ts so the live path (Ink, adapters,
 * services) loads only when one of them runs: each action imports its module.
 */
export function registerLiveCommands(program: Command, io: CommandIo, result: { exitCode: number }): void {
  program
    .command('run')
    .description('copy live: the dashboard on a terminal, JSON lines with --json or without a TTY')
    .argument('[config]', 'config YAML (or -c)')
    .option('-c, --config <file>', 'config YAML')
    .option('--json', 'print one JSON event per line instead of the dashboard')
    .option('--duration <seconds>', 'stop by itself after this long (graceful shutdown)', seconds)
    .action(
      async (file: string | undefined, opts: { config?: string; json?: boolean; duration?: number }) => {
        const { runCommand } = await import('./run.js');
        result.exitCode = await runCommand(file, opts, io);
      },
    );

  program
    .command('demo')
    .description('the zero-account demo: every broker simulator on loopback, a scripted leader, 20 followers')
    .option('--json', 'print one JSON event per line instead of the dashboard')
    .option('--duration <seconds>', 'stop by itself after this long (graceful shutdown)', seconds)
    .option('--seed <n>', 'seed of the price walk and the paper broker', integer, 7)
    .option('--print-config', 'print the demo config as YAML (what examples/demo.yaml holds) and exit')
    .action(async (opts: { json?: boolean; duration?: number; seed?: number; printConfig?: boolean }) => {
      const { demoCommand } = await import('./demo.js');
      result.exitCode = await demoCommand(opts, io);
    });

  program
    .command('flatten')
    .description("cancel working orders and close positions on followers' accounts, and report per account")
    .requiredOption('-c, --config <file>', 'config YAML')
    .option('--account <names...>', 'follower names or account ids (every follower when absent)')
    .option('--yes', 'do it without asking')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { config: string; account?: string[]; yes?: boolean; json?: boolean }) => {
      const { flattenCommand } = await import('./flatten.js');
      result.exitCode = await flattenCommand(opts, io);
    });

  program
    .command('accounts')
    .description(
      "check every configured account: connectivity, the broker's account list, trading permission",
    )
    .requiredOption('-c, --config <file>', 'config YAML')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      const { accountsCommand } = await import('./accounts.js');
      result.exitCode = await accountsCommand(opts, io);
    });
}
