import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { closest } from '../did-you-mean.js';
import { CliError, ExitCode } from '../errors.js';
import {
  type InitAccount,
  type InitAnswers,
  initBrokers,
  parseAccountSpec,
  renderConfig,
  secretNamesOf,
} from '../init/template.js';
import type { CommandIo } from '../io.js';

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
  for (const a of accounts) {
    const problem = brokerProblem(a, declared);
    if (problem) throw new Error(problem);
  }
}

/** Why an account's broker cannot be used, or undefined when it can. */
function brokerProblem(a: InitAccount, declared: readonly string[] | undefined): string | undefined {
  const known = initBrokers();
  if (!known.includes(a.broker) && !a.broker.startsWith('module:')) {
    const guess = closest(a.broker, known);
    return `unknown broker "${a.broker}"${guess ? ` (did you mean ${guess}?)` : ''}; known: ${known.join(', ')}, or module:./adapter.js`;
  }
  if (declared && declared.length > 0 && !declared.includes(a.broker))
    return `account ${a.account} is on ${a.broker}, which is not among the brokers you use (${declared.join(', ')})`;
  return undefined;
}

/** Thrown when the person at the terminal stops answering (Ctrl-C, Ctrl-D). */
const CANCELLED = 'tradenova init: cancelled; nothing written';

/**
 * The questions on a terminal (node:readline/promises); prompts go to stderr. Each answer is
 * checked as it is typed and asked again when it cannot be used, so nothing fails after the
 * last question.
 */
async function ask(options: InitOptions, io: InitIo): Promise<InitAnswers> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  const cancelled = new Promise<never>((_, reject) => {
    const stop = () => reject(new CliError(CANCELLED, ExitCode.NotClean));
    rl.once('SIGINT', stop);
    rl.once('close', stop);
  });
  cancelled.catch(() => undefined);
  const question = (text: string) => Promise.race([rl.question(text), cancelled]);
  /** Asks until `check` accepts the answer (it returns the value, or throws why not). */
  const until = async <T>(prompt: string, check: (answer: string) => T): Promise<T> => {
    for (;;) {
      const answer = await question(prompt);
      try {
        return check(answer.trim());
      } catch (error) {
        io.stderr.write(`  ${(error as Error).message}; try again\n`);
      }
    }
  };
  try {
    const known = initBrokers();
    const brokers = await until(
      `Brokers you use, comma-separated (${known.join(', ')}) [${options.broker?.join(',') ?? 'paper'}]: `,
      (text) => {
        const list = text
          ? text
              .split(',')
              .map((b) => b.trim())
              .filter(Boolean)
          : (options.broker ?? ['paper']);
        for (const broker of list) {
          const problem = brokerProblem({ broker, account: '-' }, undefined);
          if (problem) throw new Error(problem);
        }
        return list;
      },
    );
    const single = brokers.length === 1 ? brokers[0] : undefined;
    const form = single ? 'account id' : 'broker:account';
    const accept = (text: string, what: string, taken: readonly InitAccount[]): InitAccount => {
      const account = parseAccountSpec(text, single, what);
      const problem = brokerProblem(account, brokers);
      if (problem) throw new Error(problem);
      const same = taken.find((t) => t.broker === account.broker && t.account === account.account);
      if (same) throw new Error(`${account.broker}:${account.account} is already in this config`);
      if (account.name !== undefined && taken.some((t) => t.name === account.name))
        throw new Error(`the name ${account.name} is already taken`);
      return account;
    };
    const leader = await until(`Leader ${form}: `, (text) => accept(text, 'leader', []));
    const followers: InitAccount[] = [];
    for (;;) {
      const prompt = `Follower ${followers.length + 1} ${form}, optionally name=${form}${followers.length > 0 ? ' (empty to finish)' : ''}: `;
      const follower = await until(prompt, (text) => {
        if (text === '') {
          if (followers.length > 0) return undefined;
          throw new Error('a config needs at least one follower');
        }
        return accept(text, 'follower', [leader, ...followers]);
      });
      if (follower === undefined) break;
      followers.push(follower);
    }
    return { leader, followers };
  } finally {
    rl.close();
  }
}
