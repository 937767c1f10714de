import { Command, Option } from 'commander';
import { registerChaosCommand } from './commands/chaos.js';
import { registerLiveCommands } from './commands/live-commands.js';
import { replayCommand } from './commands/replay.js';
import { validateCommand } from './commands/validate.js';
import { configJsonSchema } from './config/json-schema.js';
import { addHelpFooters } from './help.js';
import type { CommandIo } from './io.js';
import { VERSION } from './version.js';

/** Builds the command tree; actions store their exit code in `result`. */
export function buildProgram(io: CommandIo, result: { exitCode: number }): Command {
  const program = new Command();
  program
    .name('tradenova')
    .description("Copy a leader account's futures trades to many follower accounts.")
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();

  program
    .command('replay')
    .description('dry-run a recorded session (JSONL or CSV) on paper brokers with a virtual clock')
    .argument('<signals>', 'signal file: .jsonl (one JSON object per line) or .csv')
    .requiredOption('-c, --config <file>', 'config YAML')
    .option('--json', 'print the JSON report instead of the summary')
    .option('--out <file>', 'also write the JSON report to a file')
    .option('--html <file>', 'also write the report as one self-contained HTML page with charts')
    .option(
      '--expect <file>',
      'compare the report with an expected JSON (fields it leaves out are not compared)',
    )
    .option('--strict', 'stop at the first bad signal line')
    .addOption(
      new Option(
        '--detail <level>',
        'full: every fill, event and order outcome in the report; summary: counts, positions, P&L and latency only (for huge sessions)',
      )
        .choices(['full', 'summary'])
        .default('full'),
    )
    .option(
      '--progress',
      'progress on stderr (the default: a live line on a terminal, a line every 5 s otherwise)',
    )
    .option('--no-progress', 'no progress output')
    .addOption(
      new Option(
        '--brokers <mode>',
        "paper: followers on the paper broker; simulated: through each broker's simulator over sockets",
      )
        .choices(['paper', 'simulated'])
        .default('paper'),
    )
    .action(async (signals: string, opts) => {
      if (opts.brokers === 'simulated') {
        const { startSimulatedBrokers } = await import('./brokers/simulators.js');
        const sims = await startSimulatedBrokers();
        result.exitCode = await replayCommand(signals, opts, io, sims);
      } else {
        result.exitCode = await replayCommand(signals, opts, io);
      }
    });

  program
    .command('sim')
    .description('run one broker simulator on loopback in the foreground (Ctrl-C stops it)')
    .argument('<broker>', 'which broker to simulate (listed below)')
    .option('--port <port>', 'TCP port (0 picks a free one)', (v) => Number.parseInt(v, 10), 0)
    .option('--accounts <names>', 'comma-separated account names to open (the demo accounts otherwise)')
    .option(
      '--dir <folder>',
      'ninjatrader: the NinjaTrader folder to watch (incoming/ and outgoing/ under it)',
    )
    .option(
      '--prices <source>',
      'prices for the simulated exchange: random-walk, or a session file (replay format) whose quote and trade lines are played',
      'random-walk',
    )
    .action(
      async (broker: string, opts: { port: number; accounts?: string; dir?: string; prices?: string }) => {
        const { simCommand } = await import('./commands/sim.js');
        result.exitCode = await simCommand(broker, opts, io);
      },
    );

  program
    .command('validate')
    .description('check a config file; prints every problem with file:line:col')
    .requiredOption('-c, --config <file>', 'config YAML')
    .option('--json', 'print { file, valid, problems: [{ file, line, col, path, message }] } on stdout')
    .action(async (opts) => {
      result.exitCode = await validateCommand(opts, io);
    });

  program
    .command('schema')
    .description('print the config JSON Schema (for editor completion)')
    .action(() => {
      io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      result.exitCode = 0;
    });

  program
    .command('init')
    .description('write a commented config: asks on a terminal, or takes the accounts as flags')
    .option('--broker <name...>', 'broker(s) in use; with one, accounts may leave out "broker:"')
    .option('--leader <account>', 'the leader: [broker:]account')
    .option('--follower <account...>', 'a follower: [name=][broker:]account (repeatable)')
    .option('--out <file>', 'where to write it', 'tradenova.yaml')
    .option('--force', 'replace the file if it exists')
    .action(async (opts) => {
      const { initCommand } = await import('./commands/init.js');
      result.exitCode = await initCommand(opts, { ...io, stdin: process.stdin });
    });

  registerLiveCommands(program, io, result);
  registerChaosCommand(program, io, result);
  addHelpFooters(program);
  return program;
}
