import type { BrokerAccount } from '@tradenova/core';
import { loadConfig } from '../config/load-config.js';
import { ExitCode } from '../errors.js';
import type { CommandIo } from '../io.js';
import { openSession } from '../run/session.js';
import { makeRedactor } from '../secrets/redact.js';
import { redactingIo } from '../secrets/redacting-io.js';

/** Flags of `tradenova accounts`. */
export interface AccountsCommandOptions {
  config: string;
  json?: boolean;
}

/** One connection's check. */
export interface ConnectionCheck {
  connection: string;
  broker: string;
  ok: boolean;
  connectMs?: number;
  /** The broker's own account list, where its API has one. */
  brokerAccounts: BrokerAccount[];
  accounts: {
    role: 'leader' | 'follower';
    name: string;
    accountId: string;
    found: boolean;
    canTrade?: boolean;
    problem?: string;
  }[];
  error?: string;
}

/**
 * `tradenova accounts`: connects every configured connection, lists the
 * broker's accounts, and says for each configured account whether it is there
 * and may trade, or what is wrong.
 */
export async function accountsCommand(options: AccountsCommandOptions, io: CommandIo): Promise<number> {
  const loaded = loadConfig(options.config, { env: process.env }, { lenientReferences: false });
  // Values from ${secret:} / ${env:} references never print, whichever field they are in (an account id).
  io = redactingIo(io, loaded.secrets);
  const redact = makeRedactor(loaded.secrets);
  const { config } = loaded;
  const session = await openSession(config, { configFile: options.config });
  const checks: ConnectionCheck[] = [];
  try {
    for (const plan of session.plans) {
      const c = session.connections[plan.key]!;
      const configured = [
        ...(plan.accounts.includes(config.leader.account) &&
        (config.leader.connection ?? config.leader.broker) === plan.key
          ? [{ role: 'leader' as const, name: config.leader.name, accountId: config.leader.account }]
          : []),
        ...config.followers
          .filter((f) => (f.connection ?? f.broker) === plan.key)
          .map((f) => ({ role: 'follower' as const, name: f.name, accountId: f.account })),
      ];
      const check: ConnectionCheck = {
        connection: plan.key,
        broker: plan.broker,
        ok: false,
        brokerAccounts: [],
        accounts: [],
      };
      const t0 = Date.now();
      try {
        await c.connect();
        check.connectMs = Date.now() - t0;
        check.brokerAccounts = await c.listAccounts();
        for (const a of configured) {
          const found = check.brokerAccounts.find(
            (b) => b.accountId === a.accountId || b.name === a.accountId,
          );
          check.accounts.push({
            ...a,
            found: found !== undefined,
            ...(found ? { canTrade: found.canTrade } : {}),
            ...(!found
              ? { problem: 'not in the broker account list for this login' }
              : !found.canTrade
                ? { problem: 'no trading permission' }
                : {}),
          });
        }
        check.ok = check.accounts.every((a) => a.found && a.canTrade !== false);
      } catch (error) {
        check.error = redact(error instanceof Error ? error.message : String(error));
        check.accounts = configured.map((a) => ({ ...a, found: false, problem: 'connection failed' }));
      } finally {
        await c.disconnect().catch(() => undefined);
      }
      checks.push(check);
    }
  } finally {
    await Promise.allSettled(session.simulators.map((s) => s.close()));
  }
  if (options.json) io.stdout.write(`${JSON.stringify({ connections: checks }, null, 2)}\n`);
  else {
    for (const ch of checks) {
      io.stdout.write(
        `${ch.connection} (${ch.broker}): ${ch.error ? `FAILED — ${ch.error}` : `connected in ${ch.connectMs} ms; broker lists ${ch.brokerAccounts.map((b) => b.name).join(', ') || 'no accounts'}`}\n`,
      );
      for (const a of ch.accounts) {
        io.stdout.write(
          `  ${a.role.padEnd(8)} ${a.name.padEnd(28)} ${a.accountId.padEnd(16)} ${a.problem ? `✗ ${a.problem}` : '✓ can trade'}\n`,
        );
      }
    }
  }
  return checks.every((c) => c.ok) ? ExitCode.Ok : ExitCode.NotClean;
}
