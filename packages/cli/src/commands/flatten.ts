import { createInterface } from 'node:readline/promises';
import { type BrokerConnection, contractKey } from '@tradenova/core';
import { loadConfig } from '../config/load-config.js';
import { CliError, ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { openSession } from '../run/session.js';
import { makeRedactor } from '../secrets/redact.js';
import { redactingIo } from '../secrets/redacting-io.js';

/** Flags of `tradenova flatten`. */
export interface FlattenCommandOptions {
  config: string;
  account?: string[];
  yes?: boolean;
  json?: boolean;
}

/** What flatten did on one account. */
export interface FlattenLine {
  follower: string;
  broker: string;
  accountId: string;
  ok: boolean;
  cancelledOrders: number;
  closed: { contract: string; netQty: number }[];
  remaining: { contract: string; netQty: number }[];
  error?: string;
}

/**
 * `tradenova flatten`: cancels working orders and closes positions of the chosen
 * followers (all by default) through their brokers, then reads the positions
 * back and reports per account. Asks first unless `--yes`.
 */
export async function flattenCommand(
  options: FlattenCommandOptions,
  io: CommandIo,
  ask: (question: string) => Promise<string> = askOnTerminal,
): Promise<number> {
  const loaded = loadConfig(options.config, { env: process.env }, { lenientReferences: false });
  // Values from ${secret:} / ${env:} references never print, whichever field they are in (an account id).
  io = redactingIo(io, loaded.secrets);
  const redact = makeRedactor(loaded.secrets);
  const wanted = options.account;
  const followers = loaded.config.followers.filter(
    (f) => !wanted || wanted.includes(f.name) || wanted.includes(f.account),
  );
  const unknown = (wanted ?? []).filter(
    (w) => !loaded.config.followers.some((f) => f.name === w || f.account === w),
  );
  if (unknown.length > 0) throw new CliError(`no follower or account named ${unknown.join(', ')}`);
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new CliError('flatten needs --yes when not run on a terminal');
    const answer = await ask(
      `Flatten ${followers.length} account(s): ${followers.map((f) => f.name).join(', ')}? [y/N] `,
    );
    if (!/^y(es)?$/i.test(answer.trim())) {
      io.stdout.write('Nothing done.\n');
      return ExitCode.Ok;
    }
  }
  const session = await openSession(loaded.config, { configFile: options.config });
  const lines: FlattenLine[] = [];
  const connected = new Map<BrokerConnection, Promise<void>>();
  try {
    for (const f of followers) {
      const key = f.connection ?? f.broker;
      const c = session.connections[key]!;
      const line: FlattenLine = {
        follower: f.name,
        broker: c.broker,
        accountId: f.account,
        ok: false,
        cancelledOrders: 0,
        closed: [],
        remaining: [],
      };
      try {
        let ready = connected.get(c);
        if (!ready) {
          ready = c.connect();
          connected.set(c, ready);
        }
        await ready;
        const before = await c.getPositions(f.account);
        line.cancelledOrders = (await c.getOpenOrders(f.account)).length;
        await c.flatten({ accountId: f.account });
        line.closed = before.map((p) => ({ contract: contractKey(p.contract), netQty: p.netQty }));
        line.remaining = await settledPositions(c, f.account);
        line.ok = line.remaining.length === 0;
        if (!line.ok) line.error = 'positions remain after flatten (market closed? order rejected?)';
      } catch (error) {
        line.error = redact(error instanceof Error ? error.message : String(error));
      }
      lines.push(line);
    }
  } finally {
    await Promise.allSettled([...connected.keys()].map((c) => c.disconnect()));
    await Promise.allSettled(session.simulators.map((s) => s.close()));
  }
  if (options.json) io.stdout.write(`${JSON.stringify({ accounts: lines }, null, 2)}\n`);
  else {
    for (const l of lines) {
      const what = l.ok
        ? `flat (cancelled ${l.cancelledOrders} order(s)${l.closed.length ? `, closed ${l.closed.map((p) => `${p.netQty} ${p.contract}`).join(', ')}` : ''})`
        : `FAILED: ${l.error}`;
      io.stdout.write(`${l.follower.padEnd(28)} ${l.broker.padEnd(12)} ${l.accountId.padEnd(16)} ${what}\n`);
    }
  }
  return lines.every((l) => l.ok) ? ExitCode.Ok : ExitCode.NotClean;
}

/** Positions after the closing orders had a moment to fill (a broker answers the flatten before its fills). */
async function settledPositions(
  c: BrokerConnection,
  accountId: string,
): Promise<{ contract: string; netQty: number }[]> {
  let left: { contract: string; netQty: number }[] = [];
  for (let i = 0; i < 20; i++) {
    left = (await c.getPositions(accountId))
      .filter((p) => p.netQty !== 0)
      .map((p) => ({ contract: contractKey(p.contract), netQty: p.netQty }));
    if (left.length === 0) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
  return left;
}

async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
