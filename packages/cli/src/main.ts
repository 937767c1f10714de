import { CommanderError } from 'commander';
import { describeFailure, ExitCode } from './errors.js';
import type { CommandIo } from './io.js';
import { buildProgram } from './program.js';

/** Runs the CLI with these arguments and returns the exit code (never calls process.exit). */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const result = { exitCode: ExitCode.Ok as number };
  const program = buildProgram(io, result);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
    }
    const { message, exitCode } = describeFailure(error);
    io.stderr.write(`tradenova: ${message}\n`);
    return exitCode;
  }
}
