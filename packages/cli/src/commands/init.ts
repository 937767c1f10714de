import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { CliError, ExitCode } from '../errors.js';
import {
  type InitAccount,
  type InitAnswers,
  initBrokers,
  parseAccountSpec,
  renderConfig,
  secretNamesOf,
} from '../init/template.js';
import type { CommandIo } from './replay.js';

/** Flags of `tradenova init`. */
export interface InitOptions {
  /** Broker(s) in use; with one, accounts may leave out `broker:`. */
  broker?: string[];
  /** `[broker:]account` of the leader. */
  leader?: string;
  /** `[name=][broker:]account`, repeatable. */
  follower?: string[];
  out?: string;
  force?: boolean;
}

/** Streams `init` asks on; injectable for tests. */
export interface InitIo extends CommandIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/**
 * `tradenova init`: writes a commented config for the brokers and accounts
 * given as flags, or asked for on a terminal. Refuses to overwrite a file
 * unless `--force`: the check and the write are one step (`wx`), so a file
 * that appears in between is not lost either.
 */
export async function initCommand(options: InitOptions, io: InitIo): Promise<number> {
  const answers =
    options.leader !== undefined || (options.follower?.length ?? 0) > 0
      ? fromFlags(options)
      : io.stdin.isTTY
        ? await ask(options, io)
        : (() => {
            throw new CliError(
              'tradenova init: give --leader and --follower (e.g. --broker tradovate --leader DEMO1 --follower DEMO2), or run it on a terminal to be asked',
            );
          })();
  const out = resolve(options.out ?? 'tradenova.yaml');
  const text = renderConfig(answers);
  try {
    writeFileSync(out, text, { flag: options.force ? 'w' : 'wx', mode: 0o644 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(`${out} exists; not overwritten (use --force to replace it)`);
    }
    throw new CliError(`cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const secrets = secretNamesOf(answers);
  io.stderr.write(
    `wrote ${out} (leader on ${answers.leader.broker}, ${answers.followers.length} follower(s))\nnext:\n`,
  );
  for (const name of secrets) io.stderr.write(`  tradenova secrets set ${name}\n`);
  io.stderr.write(
    `  tradenova validate -c ${options.out ?? 'tradenova.yaml'}\n  tradenova run -c ${options.out ?? 'tradenova.yaml'}\n`,
  );
  return ExitCode.Ok;
}

function defaultBroker(options: InitOptions): string | undefined {
  const brokers = options.broker ?? [];
  return brokers.length === 1 ? brokers[0] : undefined;
}

function fromFlags(options: InitOptions): InitAnswers {
  if (options.leader === undefined)
    throw new CliError('tradenova init: --leader is required with --follower');
  if ((options.follower?.length ?? 0) === 0)
    throw new CliError('tradenova init: give at least one --follower');
  const broker = defaultBroker(options);
  try {
    const leader = parseAccountSpec(options.leader, broker, '--leader');
    const followers = (options.follower ?? []).map((f) => parseAccountSpec(f, broker, '--follower'));
    checkBrokers([leader, ...followers], options.broker);
    return { leader, followers };
  } catch (error) {
    throw new CliError(`tradenova init: ${(error as Error).message}`);
  }
}

/** Brokers must be built in (or `module:` adapters), and among `--broker` when that was given. */
function checkBrokers(accounts: InitAccount[], declared: string[] | undefined): void {
  const known = initBrokers();
  for (const a of accounts) {
    if (!known.includes(a.broker) && !a.broker.startsWith('module:')) {
      throw new Error(`unknown broker "${a.broker}" (known: ${known.join(', ')}; or module:./adapter.js)`);
    }
    if (declared && declared.length > 0 && !declared.includes(a.broker)) {
      throw new Error(
        `account ${a.account} is on ${a.broker}, which is not among --broker ${declared.join(', ')}`,
      );
    }
  }
}

/** The questions on a terminal (node:readline/promises); prompts go to stderr. */
async function ask(options: InitOptions, io: InitIo): Promise<InitAnswers> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    const known = initBrokers();
    const brokerText = await rl.question(
      `Brokers you use, comma-separated (${known.join(', ')}) [${options.broker?.join(',') ?? 'paper'}]: `,
    );
    const brokers = brokerText.trim()
      ? brokerText
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean)
      : (options.broker ?? ['paper']);
    const unknown = brokers.filter((b) => !known.includes(b) && !b.startsWith('module:'));
    if (unknown.length > 0)
      throw new CliError(`unknown broker ${unknown.join(', ')} (known: ${known.join(', ')})`);
    const single = brokers.length === 1 ? brokers[0] : undefined;
    const form = single ? 'account id' : 'broker:account';
    const leaderText = await rl.question(`Leader ${form}: `);
    const parse = (text: string, what: string) => {
      try {
        return parseAccountSpec(text.trim(), single, what);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
    };
    const leader = parse(leaderText, 'leader');
    const followers: InitAccount[] = [];
    for (;;) {
      const text = await rl.question(
        `Follower ${followers.length + 1} ${form}, optionally name=${form}${followers.length > 0 ? ' (empty to finish)' : ''}: `,
      );
      if (text.trim() === '') {
        if (followers.length > 0) break;
        continue;
      }
      followers.push(parse(text, 'follower'));
    }
    checkBrokers([leader, ...followers], brokers);
    return { leader, followers };
  } finally {
    rl.close();
  }
}
