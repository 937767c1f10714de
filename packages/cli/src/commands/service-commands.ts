import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CommandIo } from '../io.js';

/** `--journal <location>` / `--no-journal` / `--kafka` / `--redis` on a command. */
function addServiceOptions(command: Command, options: { only?: 'journal' } = {}): void {
  command.option(
    '--journal <location>',
    'journal of record: a postgres:// URL or a directory (overrides services.journal.url)',
  );
  if (options.only === 'journal') return;
  command.option('--no-journal', 'journal nothing');
  command.option(
    '--kafka <brokers>',
    'Kafka brokers host:port[,host:port] (overrides services.kafka.brokers)',
  );
  command.option('--redis <url>', 'Redis redis://host:port (overrides services.redis.url)');
}

function find(program: Command, name: string): Command | undefined {
  return program.commands.find((c) => c.name() === name);
}

function timeArg(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new InvalidArgumentError('an ISO date/time (2025-11-24, 2025-11-24T14:30Z) or ms since epoch');
  return ms;
}

/**
 * The service commands (`accounts` with its control subcommands, `migrate`, `report`)
 * and the service flags of `run` and `demo`. Kept in one file of the services work so
 * the shared command files need only one call.
 */
export function registerServiceCommands(program: Command, io: CommandIo, result: { exitCode: number }): void {
  const run = find(program, 'run');
  if (run) {
    run.addOption(
      new Option(
        '--role <role>',
        'all: one process; router / executor: one scale-out role on Kafka; gateway: the control API for the cluster (with --api)',
      )
        .choices(['all', 'router', 'executor', 'gateway'])
        .default('all'),
    );
    addServiceOptions(run);
  }
  const demo = find(program, 'demo');
  if (demo) addServiceOptions(demo);
  // A replay is a dry run: it journals only when asked, so the record of live trading stays apart.
  find(program, 'replay')?.option(
    '--journal [location]',
    "record the replay's events in a journal (the config's services.journal, or this postgres:// URL or directory)",
  );

  const accounts = program
    .command('accounts')
    .description(
      'check accounts (default), or pause / resume / set followers and the kill switch in running processes',
    );
  accounts
    .command('check', { isDefault: true })
    .description(
      "check every configured account: connectivity, the broker's account list, trading permission",
    )
    .requiredOption('-c, --config <file>', 'config YAML')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      const { accountsCommand } = await import('./accounts.js');
      result.exitCode = await accountsCommand(opts, io);
    });
  for (const [name, description] of [
    ['pause', 'pause a follower in every running process at once: no new entries; exits still go'],
    ['resume', 'resume a paused follower in every running process'],
  ] as const) {
    accounts
      .command(name)
      .description(description)
      .argument('<follower>', 'follower name (as in the config)')
      .requiredOption('-c, --config <file>', 'config YAML (for services.redis and the follower names)')
      .option('--redis <url>', 'Redis redis://host:port (overrides services.redis.url)')
      .action(async (follower: string, opts: { config: string; redis?: string }) => {
        const { accountsControlCommand } = await import('./accounts-control.js');
        result.exitCode = await accountsControlCommand({ action: name, follower, ...opts }, io);
      });
  }
  accounts
    .command('set')
    .description(
      "change a follower's live settings: enabled=, paused=, scaling.*=, risk.*= (key=null removes an override)",
    )
    .argument('<follower>', 'follower name')
    .argument('<settings...>', 'key=value pairs, e.g. scaling.mode=fixed scaling.qty=2 risk.maxOrderQty=3')
    .requiredOption('-c, --config <file>', 'config YAML')
    .option('--redis <url>', 'Redis redis://host:port (overrides services.redis.url)')
    .action(async (follower: string, settings: string[], opts: { config: string; redis?: string }) => {
      const { accountsControlCommand } = await import('./accounts-control.js');
      result.exitCode = await accountsControlCommand({ action: 'set', follower, settings, ...opts }, io);
    });
  accounts
    .command('kill')
    .description(
      'the global kill switch: on stops new entries in every running process at once; off lifts it',
    )
    .argument('<state>', 'on or off')
    .requiredOption('-c, --config <file>', 'config YAML')
    .option('--reason <text>', 'why, shown in every process')
    .option('--redis <url>', 'Redis redis://host:port (overrides services.redis.url)')
    .action(async (state: string, opts: { config: string; reason?: string; redis?: string }) => {
      if (state !== 'on' && state !== 'off') throw new InvalidArgumentError('on or off');
      const { accountsControlCommand } = await import('./accounts-control.js');
      result.exitCode = await accountsControlCommand(
        { action: 'kill', engaged: state === 'on', ...opts },
        io,
      );
    });
  accounts
    .command('show')
    .description('the stored live settings of every follower and the kill switch')
    .requiredOption('-c, --config <file>', 'config YAML')
    .option('--json', 'print JSON')
    .option('--redis <url>', 'Redis redis://host:port (overrides services.redis.url)')
    .action(async (opts: { config: string; json?: boolean; redis?: string }) => {
      const { accountsControlCommand } = await import('./accounts-control.js');
      result.exitCode = await accountsControlCommand({ action: 'show', ...opts }, io);
    });

  const migrate = program
    .command('migrate')
    .description('bring the journal database up to date (the embedded one is migrated by itself)')
    .option('-c, --config <file>', 'config YAML (for services.journal)');
  addServiceOptions(migrate, { only: 'journal' });
  migrate.action(async (opts: { config?: string; journal?: string }) => {
    const { migrateCommand } = await import('./migrate.js');
    result.exitCode = await migrateCommand(opts, io);
  });

  const report = program
    .command('report')
    .description('fills, P&L and errors per account from the journal')
    .requiredOption('--from <time>', 'start (ISO date/time or ms), inclusive', timeArg)
    .requiredOption('--to <time>', 'end (ISO date/time or ms), exclusive', timeArg)
    .option('--account <names...>', 'follower names or account ids (every account when absent)')
    .option('--csv <file>', 'also write the per-account table as CSV')
    .option('--json', 'print JSON')
    .option('-c, --config <file>', 'config YAML (for services.journal)');
  addServiceOptions(report, { only: 'journal' });
  report.action(async (opts) => {
    const { reportCommand } = await import('./report.js');
    result.exitCode = await reportCommand(opts, io);
  });
}
