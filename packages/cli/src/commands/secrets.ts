import { ErrorCode, TradeNovaError } from '@tradenova/core';
import { CliError, ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { keyForNewVault, type PromptIo, unlockVault, vaultPath } from '../secrets/key.js';
import { promptHidden } from '../secrets/prompt.js';
import { SECRET_NAME, Vault, vaultModeTooOpen } from '../secrets/vault.js';

/** Flags shared by the `secrets` subcommands. */
export interface SecretsOptions {
  vault?: string;
  json?: boolean;
}

/** What the secrets commands read besides stdout and stderr; injectable for tests. */
export interface SecretsIo extends CommandIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/**
 * `tradenova secrets set <name>`: stores one secret. The value comes from stdin
 * when it is a pipe (`printf %s "$PW" | tradenova secrets set tv_password`) or
 * from a hidden prompt on a terminal, never from the command line, where `ps`
 * and shell history would show it. Creates the vault on first use.
 */
export async function secretsSetCommand(
  name: string,
  options: SecretsOptions,
  io: SecretsIo,
): Promise<number> {
  checkName(name);
  const file = vaultPath(io.env, options.vault);
  const prompt: PromptIo | undefined = io.stdin.isTTY ? { stdin: io.stdin, stderr: io.stderr } : undefined;
  const vault = Vault.exists(file)
    ? await unlockVault(file, io.env, prompt)
    : Vault.create(file, await keyForNewVault(file, io.env, prompt));
  const value = io.stdin.isTTY
    ? await promptHidden(`Value of ${name} (not shown): `, io.stdin, io.stderr)
    : await readAll(io.stdin);
  if (value.length === 0) throw new CliError(`secret "${name}": the value is empty; nothing was written`);
  const replaced = vault.has(name);
  vault.set(name, value);
  vault.save();
  io.stderr.write(
    `${replaced ? 'replaced' : 'stored'} secret "${name}" in ${file} (${vault.names().length} in all); refer to it as \${secret:${name}}\n`,
  );
  return ExitCode.Ok;
}

/** `tradenova secrets list`: the names, one per line (or a JSON array); never a value. */
export async function secretsListCommand(options: SecretsOptions, io: SecretsIo): Promise<number> {
  const file = vaultPath(io.env, options.vault);
  if (!Vault.exists(file)) {
    if (options.json) io.stdout.write('[]\n');
    io.stderr.write(`no vault at ${file} yet (tradenova secrets set <name> creates it)\n`);
    return ExitCode.Ok;
  }
  warnIfOpen(file, io);
  const vault = await unlockVault(
    file,
    io.env,
    io.stdin.isTTY ? { stdin: io.stdin, stderr: io.stderr } : undefined,
  );
  const names = vault.names();
  if (options.json) io.stdout.write(`${JSON.stringify(names)}\n`);
  else for (const n of names) io.stdout.write(`${n}\n`);
  return ExitCode.Ok;
}

/** `tradenova secrets rm <name>`: removes one secret; exit 1 when there was none by that name. */
export async function secretsRmCommand(
  name: string,
  options: SecretsOptions,
  io: SecretsIo,
): Promise<number> {
  checkName(name);
  const file = vaultPath(io.env, options.vault);
  if (!Vault.exists(file)) throw new CliError(`no vault at ${file}: nothing to remove`);
  const vault = await unlockVault(
    file,
    io.env,
    io.stdin.isTTY ? { stdin: io.stdin, stderr: io.stderr } : undefined,
  );
  if (!vault.delete(name)) {
    io.stderr.write(`no secret named "${name}" in ${file}\n`);
    return ExitCode.NotClean;
  }
  vault.save();
  io.stderr.write(`removed secret "${name}" from ${file}\n`);
  return ExitCode.Ok;
}

function checkName(name: string): void {
  if (!SECRET_NAME.test(name)) {
    throw new TradeNovaError(
      ErrorCode.VaultInvalid,
      `secret name "${name}": use letters, digits, _ . - (starting with a letter or _), as in \${secret:name}`,
    );
  }
}

function warnIfOpen(file: string, io: CommandIo): void {
  if (vaultModeTooOpen(file)) {
    io.stderr.write(`warning: ${file} is readable by other users; run: chmod 600 ${file}\n`);
  }
}

/** Reads a piped value whole; one trailing newline (from `echo`) is not part of it. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
