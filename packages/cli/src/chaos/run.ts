import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  type BrokerConnection,
  BrokerRateLimitedError,
  type Contract,
  contractKey,
  defaultInstruments,
  type EngineConfig,
  frontMonth,
  intentId,
  parseMoney,
  silentLogger,
  systemClock,
} from '@tradenova/core';
import { planConnections, scaledTargets } from '@tradenova/core/engine';
import { stringify } from 'yaml';
import { resolvePlugin } from '../brokers/plugins.js';
import { Journal } from '../services/journal/journal.js';
import { checkFollower, type FollowerFacts, type FollowerVerdict } from './check.js';
import { CopierProcess, sleep } from './copier.js';
import { HostedSimulator, RESTARTABLE } from './hosted.js';
import { readJournalFacts } from './journal-facts.js';
import { CHAOS_LEADER, type FaultKind, type FaultStep, type LeaderStep, type RunPlan } from './plan.js';

const LEADER_CONNECTION = 'chaos-leader';
/** Where the market stands (ticks); leader limits rest 200 to 400 ticks away from it. */
const MARKET = 84_000;
/** The longest a run waits for the copier to settle before it is checked as it stands. */
const SETTLE_LIMIT_MS = 120_000;
/** How long the copier must stay silent before a run is checked (> the engine's 5 s recovery interval). */
const SETTLED_QUIET_MS = 6500;
/** Brokers whose API answers with a rate-limit error, which their simulators speak. */
const RATE_LIMITED = new Set(['tradovate', 'projectx', 'rithmic']);

/** What one run found. */
export interface RunResult {
  seed: number;
  faults: FaultKind[];
  duplicates: number;
  lost: number;
  drift: number;
  /** Followers the run could not check at a broker (paper lives inside the copier and dies with it). */
  unchecked: string[];
  details: string[];
  ms: number;
}

export interface RunOptions {
  /** The CLI's own bin, started as the copier. */
  bin: string;
  /** The user's config file (for `module:` adapters relative to it). */
  configFile: string;
  config: EngineConfig;
  plan: RunPlan;
  /** Progress, for people. */
  log?: (text: string) => void;
  /** An empty, migrated embedded journal to copy for this run (see `journalTemplate`). */
  journalTemplate?: string;
  /**
   * The run's folder, owned by the caller: the run writes its post-mortem files there
   * (copier lines, exchanges, what each follower's broker said) and does not remove it,
   * so the caller can keep a failed run's evidence (`chaos --keep-failed`).
   */
  dir?: string;
}

/**
 * An empty embedded journal, created and migrated once per chaos session: each run copies
 * it (a fraction of a second) instead of creating its own, which costs PGlite's initdb,
 * 6 to 9 s on a loaded 2-core machine, the largest part of a run's set-up.
 */
export async function journalTemplate(): Promise<{ dir: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'tn-chaos-journal-'));
  const dir = join(root, 'journal');
  const journal = await Journal.open({ dir });
  await journal.close();
  return { dir, remove: () => rm(root, { recursive: true, force: true }) };
}

/**
 * One chaos run: the config's followers on simulators this process hosts (paper stays
 * paper, in the copier), the copier as a child `tradenova run`, the planned leader
 * session and faults, then a settle and the checks at the simulators and in the journal.
 */
export async function chaosRun(options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const { plan, config } = options;
  const log = options.log ?? (() => {});
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'tn-chaos-')));
  // Post-mortem files are written for a caller that owns the folder, or always under TN_CHAOS_KEEP.
  const postMortem = options.dir !== undefined || Boolean(process.env.TN_CHAOS_KEEP);
  const sims = new Map<string, HostedSimulator>();
  let copier: CopierProcess | undefined;
  const applied: FaultKind[] = [];
  try {
    const followers = config.followers.filter((f) => f.enabled);
    const byBroker = new Map<string, string[]>();
    for (const f of followers)
      if (f.broker !== 'paper') byBroker.set(f.broker, [...(byBroker.get(f.broker) ?? []), f.account]);
    for (const [broker, accounts] of byBroker)
      sims.set(broker, await HostedSimulator.start(broker, accounts));
    const leaderSim = await HostedSimulator.start('tradovate', [CHAOS_LEADER]);
    const contract = frontMonth(defaultInstruments.get('MNQ'), Date.now());
    for (const sim of [leaderSim, ...sims.values()]) sim.exchange.updateTrade(contract, MARKET);

    if (options.journalTemplate) await cp(options.journalTemplate, join(dir, 'journal'), { recursive: true });
    const configFile = join(dir, 'config.yaml');
    await writeFile(
      configFile,
      stringify(chaosConfig(config, sims, leaderSim, join(dir, 'journal'), options.configFile)),
    );
    copier = new CopierProcess(options.bin, configFile, dir);
    await copier.startReady(90_000);
    log(
      `  copier ready; ${plan.leader.length} leader steps, faults ${plan.faults.map((f) => f.kind).join(', ')}`,
    );

    const t0 = Date.now();
    const pool = [leaderSim, ...sims.values()];
    const leader = driveLeader(leaderSim, contract, plan.leader, t0);
    const faults = (async () => {
      for (const fault of plan.faults) {
        await sleep(Math.max(0, t0 + fault.at - Date.now()));
        log(`  fault ${fault.kind}`);
        copier!.lines.push({ type: 'chaos-fault', time: Date.now(), kind: fault.kind });
        // A fault no simulator of this config can take (no restartable broker, say) is not counted.
        if (await inject(fault, copier!, pool, [...sims.values()], log)) applied.push(fault.kind);
        else log(`  (no simulator here takes ${fault.kind})`);
      }
    })();
    await Promise.all([leader, faults]);
    await sleep(Math.max(0, t0 + plan.durationMs - Date.now()));

    // Settle: every simulator back, faults cleared, the copier up and quiet, then stopped cleanly.
    for (const sim of pool) {
      await sim.resume();
      sim.exchange.faults.reset();
    }
    if (!copier.running) await copier.startReady(90_000);
    // Settled: no follower the copier says it is still bringing back (a broker that refuses
    // for a while, as ProjectX's 60 s request window does), and quiet for longer than the
    // engine's recovery interval (5 s), so an owed re-placement would have spoken by then.
    const settleBy = Date.now() + SETTLE_LIMIT_MS;
    // And every broker connection up again: a copier quiet because a connection is still in its
    // reconnect backoff after a simulator restart has not heard what the leader did meanwhile.
    while (
      (copier.quietMs < SETTLED_QUIET_MS ||
        pendingRecoveries(copier.lines).size > 0 ||
        connectionsDown(copier.lines).length > 0) &&
      Date.now() < settleBy
    )
      await sleep(200);
    const stillPending = pendingRecoveries(copier.lines);
    for (const name of connectionsDown(copier.lines))
      stillPending.set(`connection ${name}`, 'not connected again');
    const exit = await copier.stop('SIGTERM');
    const details: string[] = [];
    if (exit !== 0) details.push(`the copier exited with ${exit} on SIGTERM: ${copier.stderrTail(500)}`);
    for (const [follower, why] of stillPending)
      details.push(`${follower}: still being brought back after ${SETTLE_LIMIT_MS / 1000} s: ${why}`);
    for (const why of copier.refused) details.push(`note: a copier start was refused and retried: ${why}`);

    const verdicts = await check(
      config,
      sims,
      leaderSim,
      join(dir, 'journal'),
      options.configFile,
      postMortem,
    );
    const result: RunResult = {
      seed: plan.seed,
      faults: applied,
      duplicates: 0,
      lost: 0,
      drift: 0,
      unchecked: followers.filter((f) => f.broker === 'paper').map((f) => f.name),
      details,
      ms: 0,
    };
    for (const v of verdicts) {
      result.duplicates += v.duplicates;
      result.lost += v.lost;
      result.drift += v.drift;
      result.details.push(...v.details);
    }
    result.ms = Date.now() - started;
    return result;
  } finally {
    await copier?.stop('SIGKILL').catch(() => undefined);
    for (const sim of sims.values()) await sim.close();
    if (postMortem) {
      // For a post-mortem: the run's folder (config, journal) and every line the copier printed.
      await writeFile(
        join(dir, 'copier.jsonl'),
        (copier?.lines ?? []).map((l) => JSON.stringify(l)).join('\n'),
      );
      await writeFile(join(dir, 'copier.stderr'), copier?.stderrTail(20_000) ?? '');
      // What each simulator's exchange holds, every order of every account, ended ones too.
      const exchanges = Object.fromEntries(
        [...sims.values()].map((sim) => [
          sim.broker,
          Object.fromEntries(sim.accounts.map((a) => [a, sim.exchange.getOrders(a)])),
        ]),
      );
      await writeFile(join(dir, 'exchanges.json'), JSON.stringify(exchanges, null, 1));
      if (options.dir === undefined) log(`  kept ${dir}`);
    } else await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Connections whose last `connection-status` the copier printed is not `connected`. */
export function connectionsDown(lines: readonly Record<string, unknown>[]): string[] {
  const last = new Map<string, unknown>();
  for (const line of lines)
    if (line.type === 'connection-status') last.set(String(line.connection), line.state);
  return [...last].filter(([, state]) => state !== 'connected').map(([name]) => name);
}

/**
 * Followers the copier's current start still reports as not back in line
 * (`follower-recovery` pending with no `recovered` after it), with the last reason.
 */
export function pendingRecoveries(lines: readonly Record<string, unknown>[]): Map<string, string> {
  const pending = new Map<string, string>();
  for (const line of lines) {
    // A new start forgets what the process before it was still retrying: it recovers anew.
    if (line.type === 'recovered') pending.clear();
    if (line.type !== 'follower-recovery') continue;
    const follower = String(line.follower);
    if (line.state === 'pending') pending.set(follower, String(line.reason ?? ''));
    else pending.delete(follower);
  }
  return pending;
}

/**
 * A connection's options with every `${env:…}` / `${secret:…}` value replaced by a
 * simulator credential: chaos only ever talks to simulators, which need no real
 * credentials, and a trader's real ones have no business reaching them.
 */
function withoutReferences(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(options).map(([k, v]) => [k, typeof v === 'string' && v.includes('${') ? 'simulator' : v]),
  );
}

/** The user's config pointed at the hosted simulators, with the chaos leader and a journal of its own. */
function chaosConfig(
  config: EngineConfig,
  sims: Map<string, HostedSimulator>,
  leaderSim: HostedSimulator,
  journalDir: string,
  userConfigFile: string,
): Record<string, unknown> {
  const connections: Record<string, unknown> = {};
  for (const plan of planConnections(config, { leader: false })) {
    const sim = sims.get(plan.broker);
    if (plan.broker === 'paper' || !sim) {
      connections[plan.key] = { broker: plan.broker };
      continue;
    }
    const { simulator: _s, script: _c, seed: _d, ...own } = plan.options as Record<string, unknown>;
    // `module:` adapters are resolved relative to the user's config, not this temporary copy.
    const broker = plan.broker.startsWith('.') ? resolve(dirname(userConfigFile), plan.broker) : plan.broker;
    const options: Record<string, unknown> = {
      ...withoutReferences(own),
      ...sim.adapterOptions(plan.accounts),
    };
    // A FIX session's sequence numbers must survive the copier's restarts, as with a real
    // acceptor: a store of this run's own (the simulator starts each run at 1).
    if (plan.broker === 'fix') options.storeDirectory = join(dirname(journalDir), `fix-store-${plan.key}`);
    connections[plan.key] = { broker, options };
  }
  connections[LEADER_CONNECTION] = { broker: 'tradovate', options: leaderSim.adapterOptions([CHAOS_LEADER]) };
  const { sources: _src, marketData: _md, services: _svc, leader: _l, ...rest } = config;
  return {
    ...rest,
    leader: {
      name: 'chaos-leader',
      broker: 'tradovate',
      connection: LEADER_CONNECTION,
      account: CHAOS_LEADER,
    },
    connections,
    followers: config.followers.map((f) => ({
      ...f,
      connection: f.connection ?? f.broker,
    })),
    services: { journal: { enabled: true, url: journalDir } },
  };
}

async function driveLeader(
  sim: HostedSimulator,
  contract: Contract,
  steps: readonly LeaderStep[],
  t0: number,
) {
  const ex = sim.exchange;
  let n = 0;
  for (const s of steps) {
    await sleep(Math.max(0, t0 + s.at - Date.now()));
    const working = ex
      .getOpenOrders(CHAOS_LEADER)
      .filter((o) => o.parentOrderId === undefined && o.orderType === 'limit');
    const picked = working[Math.floor(s.pick * working.length)];
    try {
      if (s.kind === 'limit' || ((s.kind === 'modify' || s.kind === 'cancel') && !picked)) {
        await ex.placeOrder({
          accountId: CHAOS_LEADER,
          clientOrderId: `chaos-${++n}`,
          contract,
          side: s.side,
          qty: s.qty,
          orderType: 'limit',
          limitTicks: s.side === 'buy' ? MARKET - s.offset : MARKET + s.offset,
        });
      } else if (s.kind === 'modify' && picked) {
        const away = picked.side === 'buy' ? -1 : 1;
        const moved = (picked.limitTicks ?? MARKET) + (s.side === 'buy' ? s.offset : -s.offset);
        // Stays at least 100 ticks away from the market, on its own side: a copy never fills.
        const limitTicks = away < 0 ? Math.min(moved, MARKET - 100) : Math.max(moved, MARKET + 100);
        await ex.modifyOrder({ accountId: CHAOS_LEADER, orderId: picked.orderId, limitTicks });
      } else if (s.kind === 'cancel' && picked) {
        await ex.cancelOrder({ accountId: CHAOS_LEADER, orderId: picked.orderId });
      } else if (s.kind === 'market') {
        const net =
          ex.getPositions(CHAOS_LEADER).find((p) => contractKey(p.contract) === contractKey(contract))
            ?.netQty ?? 0;
        // The leader holds at most one contract: every follower's share stays inside its risk limits.
        const side = net >= 1 ? 'sell' : net <= -1 ? 'buy' : s.side;
        await ex.placeOrder({
          accountId: CHAOS_LEADER,
          clientOrderId: `chaos-${++n}`,
          contract,
          side,
          qty: 1,
          orderType: 'market',
        });
      }
    } catch {
      // The leader's own broker refused (an order that just ended): a trader would shrug too.
    }
  }
}

async function inject(
  fault: FaultStep,
  copier: CopierProcess,
  pool: readonly HostedSimulator[],
  followerSims: readonly HostedSimulator[],
  log: (text: string) => void,
): Promise<boolean> {
  const pick = <T>(list: readonly T[]) => list[Math.floor(fault.pick * list.length)];
  // Which simulator a fault hit, for a post-mortem (the pool's first is the leader's).
  const hit = (sim: HostedSimulator) =>
    log(`    on the ${sim === pool[0] ? "leader's" : sim.broker} simulator`);
  switch (fault.kind) {
    case 'kill9':
    case 'sigterm': {
      await copier.stop(fault.kind === 'kill9' ? 'SIGKILL' : 'SIGTERM');
      await sleep(fault.downMs);
      await copier.startReady(90_000);
      return true;
    }
    case 'sim-restart': {
      const sim = pick(pool.filter((s) => RESTARTABLE.has(s.broker)));
      if (!sim) return false;
      hit(sim);
      await sim.stop();
      await sleep(fault.downMs);
      await sim.resume();
      return true;
    }
    case 'cut-sockets': {
      const sim = pick(pool.filter((s) => s.canDrop));
      if (!sim) return false;
      hit(sim);
      sim.dropConnections();
      return true;
    }
    case 'token-expiry': {
      // The Tradovate simulator revokes every session at its next request (the flag is one-shot), as an expiry does.
      const sims = pool.filter((s) => s.broker === 'tradovate');
      for (const s of sims) s.exchange.faults.tokenExpired = true;
      return sims.length > 0;
    }
    case 'rate-limit': {
      // Only brokers whose real API rate-limits (Sierra Chart's DTC and FIX have no such answer).
      const sim = pick(followerSims.filter((s) => RATE_LIMITED.has(s.broker)));
      sim?.exchange.faults.rateLimitNext(fault.count, 200 + Math.round(fault.pick * 800));
      return sim !== undefined;
    }
  }
}

// ── the checks ───────────────────────────────────────────────────────────────

async function check(
  config: EngineConfig,
  sims: Map<string, HostedSimulator>,
  leaderSim: HostedSimulator,
  journalDir: string,
  configFile: string,
  postMortem: boolean,
): Promise<FollowerVerdict[]> {
  const leaderChecker = await checker('tradovate', leaderSim, [CHAOS_LEADER], configFile);
  let leaderWorking: string[];
  try {
    leaderWorking = (await patiently(() => leaderChecker.getOpenOrders(CHAOS_LEADER)))
      .filter(
        (o) => o.parentOrderId === undefined && (o.status === 'working' || o.status === 'partially-filled'),
      )
      .map((o) => o.orderId);
  } finally {
    await leaderChecker.disconnect().catch(() => undefined);
  }
  const leaderPositions = new Map(
    leaderSim.exchange.getPositions(CHAOS_LEADER).map((p) => [contractKey(p.contract), p.netQty]),
  );
  // Read off this thread: a PGlite open holds its thread for about a second (the first, its
  // WebAssembly compile, for seconds) on a loaded machine, and every hosted simulator of the
  // other runs answers on this one (Sierra Chart logons timed out behind it).
  const facts = await readJournalFacts(journalDir);
  const verdicts: FollowerVerdict[] = [];
  for (const [broker, sim] of sims) {
    const followers = config.followers.filter((f) => f.enabled && f.broker === broker);
    const c =
      broker === 'fix'
        ? exchangeView(sim)
        : await checker(
            broker,
            sim,
            followers.map((f) => f.account),
            configFile,
          );
    try {
      for (const f of followers) {
        const mine = facts.followers.get(f.name);
        const expected = leaderWorking.map((id) => {
          const signalId = `leader:${CHAOS_LEADER}:${id}:new:1`;
          // The first copy's legs, and every order the copier placed later for this leader
          // order (a re-plan after the leader's position moved, an outage re-placement).
          const first = ['entry', 'close', 'open'].map((leg) => intentId(signalId, f.name, leg));
          return { leaderOrderId: id, ids: [...new Set([...first, ...(mine?.copiesOf.get(id) ?? [])])] };
        });
        const working = await patiently(() => c.getOpenOrders(f.account));
        const workingIds = new Set(working.map((o) => o.clientOrderId));
        const filled = new Set<string>();
        for (const e of expected)
          for (const id of e.ids) {
            if (workingIds.has(id) || !c.findOrderByClientId) continue;
            const find = c.findOrderByClientId.bind(c);
            const found = await patiently(() => find(f.account, id)).catch(() => undefined);
            if (found?.status === 'filled') filled.add(id);
          }
        let targets = scaledTargets(
          leaderPositions,
          f,
          parseMoney(f.startingBalance, `followers.${f.name}.startingBalance`),
          defaultInstruments,
        );
        const allowed = f.risk?.allowedInstruments;
        if (allowed)
          targets = new Map([...targets].map(([k, v]) => [k, allowed.some((a) => k.startsWith(a)) ? v : 0]));
        const parents = sim.exchange
          .getOrders(f.account)
          .filter((o) => o.parentOrderId === undefined && o.status !== 'rejected');
        const fact: FollowerFacts = {
          name: f.name,
          working,
          positions: new Map(
            sim.exchange
              .getPositions(f.account)
              .filter((p) => p.netQty !== 0)
              .map((p) => [contractKey(p.contract), p.netQty]),
          ),
          targets: new Map([...targets].filter(([, v]) => v !== 0)),
          exchangeClientIds: parents.flatMap((o) => (o.clientOrderId ? [o.clientOrderId] : [])),
          journaled: mine?.intentIds ?? new Set(),
          journal: facts.statuses,
          reasoned: mine?.reasoned ?? new Set(),
          expected,
          filled,
        };
        verdicts.push(checkFollower(fact));
        // For a post-mortem: what each follower's broker said through its adapter.
        if (postMortem)
          await writeFile(
            join(dirname(journalDir), `checked-${f.name}.json`),
            JSON.stringify({ working: fact.working, positions: [...fact.positions] }, null, 1),
          );
      }
    } finally {
      await c.disconnect().catch(() => undefined);
    }
  }
  return verdicts;
}

/**
 * FIX reports orders to the session that placed them only (as acceptors do), so another
 * login cannot see the copier's orders: FIX followers are checked at the simulator's
 * exchange, which holds the same orders with the client order ids sent on the wire.
 */
function exchangeView(
  sim: HostedSimulator,
): Pick<BrokerConnection, 'getOpenOrders' | 'findOrderByClientId' | 'disconnect'> {
  return {
    getOpenOrders: async (account) => sim.exchange.getOpenOrders(account),
    findOrderByClientId: async (account, id) => sim.exchange.findOrderByClientId(account, id),
    disconnect: async () => {},
  };
}

/** A login of its own at a hosted simulator, through the broker's real adapter. */
async function checker(
  broker: string,
  sim: HostedSimulator,
  accounts: readonly string[],
  configFile: string,
): Promise<BrokerConnection> {
  const plugin = await resolvePlugin(broker, dirname(resolve(configFile)));
  const parsed = plugin.configSchema.parse(sim.adapterOptions(accounts));
  const connection = plugin.create(parsed, {
    clock: systemClock,
    logger: silentLogger,
    instruments: defaultInstruments,
  });
  await patiently(() => connection.connect());
  return connection;
}

/** Runs `work`, waiting out the broker's rate limit as often as it asks (the checks are not in a hurry). */
async function patiently<T>(work: () => Promise<T>, attempts = 12): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof BrokerRateLimitedError) || i >= attempts) throw error;
      await sleep(Math.min(error.retryAfterMs, 10_000) + 100);
    }
  }
}
