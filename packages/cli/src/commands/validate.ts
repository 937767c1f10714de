import { ConfigError, formatConfigIssue } from '@tradenova/core';
import { loadConfig } from '../config/load-config.js';
import { ExitCode } from '../errors.js';
import type { CommandIo } from './replay.js';

/** `tradenova validate`: every problem with file:line:col and the field path; exit 2 when invalid. */
export function validateCommand(options: { config: string }, io: CommandIo): number {
  try {
    const { config } = loadConfig(options.config);
    const brokers = [...new Set(config.followers.map((f) => f.broker))].join(', ');
    io.stdout.write(
      `${options.config}: valid (leader ${config.leader.name} on ${config.leader.broker}, ${config.followers.length} followers on ${brokers})\n`,
    );
    return ExitCode.Ok;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`${options.config}: ${error.issues.length} problem(s)\n`);
    for (const issue of error.issues) io.stderr.write(`${formatConfigIssue(issue)}\n`);
    return ExitCode.BadInput;
  }
}
