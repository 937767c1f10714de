import { existsSync } from 'node:fs';
import { ConfigError, type ConfigIssue, formatConfigIssue } from '@tradenova/core';
import { formatPath } from '@tradenova/core/config';
import { brokerIssues } from '../config/check-brokers.js';
import { loadConfig, MAX_LISTED_ISSUES, problemCount, withOverflow } from '../config/load-config.js';
import { CliError, ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { redactingIo } from '../secrets/redacting-io.js';

/** One problem as `validate --json` prints it. */
export interface ValidateProblem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

/**
 * `tradenova validate`: every problem with file:line:col and the field path; exit 2 when invalid.
 * It refuses what `run` refuses for the config's own sake: besides the schema and the
 * cross-section checks of the loader, each broker name must resolve to an adapter plugin and
 * each connection's options must pass that plugin's schema. With `--json`, one JSON object:
 * `{ file, valid, problems: [{ file, line, col, path, message }] }`.
 */
export async function validateCommand(
  options: { config: string; json?: boolean },
  io: CommandIo,
): Promise<number> {
  // A file that is not there is not a config with problems: the same answer as every command.
  if (!existsSync(options.config)) throw new CliError(`file not found: ${options.config}`);
  let issues: ConfigIssue[];
  let summary = '';
  try {
    const loaded = loadConfig(options.config);
    io = redactingIo(io, loaded.secrets);
    const { config } = loaded;
    issues = (await brokerIssues(config, options.config)).map((i) => ({
      path: formatPath(i.path),
      message: i.message,
      file: options.config,
      ...loaded.locate(i.path),
    }));
    const brokers = [...new Set(config.followers.map((f) => f.broker))].join(', ');
    summary = `leader ${config.leader.name} on ${config.leader.broker}, ${config.followers.length} followers on ${brokers}`;
  } catch (error) {
    if (error instanceof ConfigError) issues = [...error.issues];
    else if (error instanceof CliError)
      issues = [{ path: '', message: error.message, file: options.config, line: 1, column: 1 }];
    else throw error;
  }
  const listed = withOverflow(
    issues.slice(0, MAX_LISTED_ISSUES),
    Math.max(0, issues.length - MAX_LISTED_ISSUES),
    options.config,
  );
  if (options.json) {
    const problems: ValidateProblem[] = listed.map((i) => ({
      file: i.file ?? options.config,
      line: i.line ?? 1,
      col: i.column ?? 1,
      path: i.path,
      message: i.message,
    }));
    io.stdout.write(`${JSON.stringify({ file: options.config, valid: issues.length === 0, problems })}\n`);
    return issues.length === 0 ? ExitCode.Ok : ExitCode.BadInput;
  }
  if (issues.length === 0) {
    io.stdout.write(`${options.config}: valid (${summary})\n`);
    return ExitCode.Ok;
  }
  io.stderr.write(`${options.config}: ${problemCount(issues)} problem(s)\n`);
  for (const issue of listed) io.stderr.write(`${formatConfigIssue(issue)}\n`);
  return ExitCode.BadInput;
}
