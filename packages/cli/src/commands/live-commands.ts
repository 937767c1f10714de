import { type Command, InvalidArgumentError } from 'commander';
import type { CommandIo } from '../io.js';
import { registerServiceCommands } from './service-commands.js';

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
    .option('--metrics <address>', 'serve Prometheus metrics at [host]:port/metrics, e.g. :9464')
    .option('--api <address>', 'serve the control API (REST + WebSocket) at [host]:port, e.g. :8081')
    .action(
      async (
        file: string | undefined,
        opts: { config?: string; json?: boolean; duration?: number; metrics?: string; api?: string },
      ) => {
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
    .option('--metrics <address>', 'serve Prometheus metrics at [host]:port/metrics, e.g. :9464')
    .option('--api <address>', 'serve the control API (REST + WebSocket) at [host]:port, e.g. :8081')
    .action(
      async (opts: {
        json?: boolean;
        duration?: number;
        seed?: number;
        printConfig?: boolean;
        metrics?: string;
        api?: string;
      }) => {
        const { demoCommand } = await import('./demo.js');
        result.exitCode = await demoCommand(opts, io);
      },
    );

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

  const secrets = program
    .command('secrets')
    .description(`the encrypted vault of credentials that configs refer to as \${secret:name}`);
  const secretsIo = () => ({ ...io, stdin: process.stdin, env: process.env });
  secrets
    .command('set')
    .description('store a secret: the value is read from stdin or a hidden prompt, never from arguments')
    .argument('<name>', `secret name, as in \${secret:name}`)
    .option('--vault <file>', 'vault file (default $TRADENOVA_VAULT, else .tradenova/secrets.vault)')
    .action(async (name: string, opts: { vault?: string }) => {
      const { secretsSetCommand } = await import('./secrets.js');
      result.exitCode = await secretsSetCommand(name, opts, secretsIo());
    });
  secrets
    .command('list')
    .description('the names of the stored secrets (never their values)')
    .option('--vault <file>', 'vault file (default $TRADENOVA_VAULT, else .tradenova/secrets.vault)')
    .option('--json', 'print a JSON array of names')
    .action(async (opts: { vault?: string; json?: boolean }) => {
      const { secretsListCommand } = await import('./secrets.js');
      result.exitCode = await secretsListCommand(opts, secretsIo());
    });
  secrets
    .command('rm')
    .description('remove a secret')
    .argument('<name>', 'secret name')
    .option('--vault <file>', 'vault file (default $TRADENOVA_VAULT, else .tradenova/secrets.vault)')
    .action(async (name: string, opts: { vault?: string }) => {
      const { secretsRmCommand } = await import('./secrets.js');
      result.exitCode = await secretsRmCommand(name, opts, secretsIo());
    });

  const api = program.command('api').description('the control API (docs/api.md)');
  const token = api.command('token').description('tokens for the control API');
  token
    .command('create')
    .description(
      'sign a token (TRADENOVA_API_SIGNING_KEY or the vault api_signing_key); the last stdout line',
    )
    .requiredOption('--scope <scope>', 'read (sees) or control (also acts)')
    .option('--accounts <names>', 'limit to these followers (names or account ids, comma-separated)')
    .option('--ttl <duration>', 'how long it is good for: 30m, 8h, 7d', '8h')
    .option('--name <label>', 'a label shown in the audit trail')
    .action(async (opts: { scope: string; accounts?: string; ttl?: string; name?: string }) => {
      const { tokenCreateCommand } = await import('./api.js');
      result.exitCode = await tokenCreateCommand(opts, io);
    });
  token
    .command('revoke')
    .description('revoke a token by id in the Redis deny list every API process reads')
    .argument('<id>', 'the token id printed by token create')
    .option('-c, --config <file>', 'config YAML (for services.redis)')
    .option('--redis <url>', 'Redis redis://host:port (overrides services.redis.url)')
    .action(async (id: string, opts: { config?: string; redis?: string }) => {
      const { tokenRevokeCommand } = await import('./api.js');
      result.exitCode = await tokenRevokeCommand(id, opts, io);
    });

  // accounts (list, pause, resume, set, kill), migrate, report; and the service flags of run and demo.
  registerServiceCommands(program, io, result);
}
