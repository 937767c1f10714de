/**
 * Runs a session through the engine (`runReplay` on paper brokers) and checks it
 * against the reference model after every settled record, then checks the
 * report: one outcome per enabled follower for every leader event, the same
 * bytes on a second run, and (optionally) drift.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  contractKey,
  type EngineConfig,
  parseEngineConfig,
  parseReplay,
  type ReplayReport,
  runReplay,
} from '../../src/index.js';
import type { Session } from './generator.js';
import {
  byRoot,
  checkFollower,
  exactRatio,
  LeaderBook,
  rootOf,
  targetRoot,
  type Violation,
} from './model.js';

export interface CheckOptions {
  /** Compare the report's drift with the model (known defect 4). */
  checkDrift: boolean;
  /** Run the session twice and compare the report bytes. */
  checkDeterminism: boolean;
  /** Require an outcome also for a follower whose position the event left unchanged. */
  outcomeWhenUnchanged: boolean;
  /** Require a reason on a skipped modify or cancel too. */
  reasonForSkippedChanges: boolean;
}

export interface SessionResult {
  violations: Violation[];
  /** Leader events (signals) in the session. */
  events: number;
  report?: ReplayReport;
}

/** The session as the files `./tn replay signals.jsonl -c config.yaml` reads. */
export function sessionFiles(session: Session): { signals: string; config: string } {
  return {
    signals: `${session.records.map((r) => JSON.stringify(r)).join('\n')}\n`,
    config: stringify(session.config),
  };
}

const OUTCOMES = new Set(['placed', 'filled', 'skipped', 'blocked', 'rejected', 'failed', 'timed-out']);
const NEEDS_REASON = new Set(['skipped', 'blocked', 'rejected', 'failed']);

export async function runSession(session: Session, options: CheckOptions): Promise<SessionResult> {
  const violations: Violation[] = [];
  let config: EngineConfig;
  try {
    config = parseEngineConfig(session.config);
  } catch (error) {
    return {
      violations: [{ kind: 'error', line: 0, message: `config: ${(error as Error).message}` }],
      events: 0,
    };
  }
  const { signals } = sessionFiles(session);
  const parsed = parseReplay(signals, 'jsonl');
  for (const e of parsed.errors)
    violations.push({ kind: 'error', line: e.line, message: `${e.field}: ${e.message}` });
  const book = new LeaderBook();
  const times = parsed.records.map((r) => r.time);
  /** Signal lines after which a follower's positions were as before (an outcome-less follower may be tolerated there). */
  const unchanged = new Set<string>();
  const before = new Map<string, string>();
  let report: ReplayReport;
  try {
    report = await runReplay({
      config,
      records: parsed.records,
      afterRecord: (record, index, state) => {
        book.apply(session.records[record.line - 1]!);
        for (const f of config.followers) {
          const now = JSON.stringify(state.positions(f.name).map((p) => [contractKey(p.contract), p.netQty]));
          if (record.kind === 'signal' && before.get(f.name) === now)
            unchanged.add(`${record.line}|${f.name}`);
          before.set(f.name, now);
        }
        // Settled: the last record of its instant (an NQ quote and its MNQ twin are one step).
        if (times[index + 1] === record.time) return;
        const leader = new Map(book.positions);
        const engineLeader = byRoot(state.leaderPositions());
        for (const root of new Set([...leader.keys(), ...engineLeader.keys()])) {
          if ((leader.get(root) ?? 0) !== (engineLeader.get(root) ?? 0)) {
            violations.push({
              kind: 'leader',
              line: record.line,
              message: `leader ${root}: model ${leader.get(root) ?? 0}, engine ${engineLeader.get(root) ?? 0}`,
            });
          }
        }
        for (const f of config.followers) {
          const held = byRoot(state.positions(f.name).map((p) => [contractKey(p.contract), p.netQty]));
          violations.push(...checkFollower(f, leader, held, record.line));
        }
      },
    });
  } catch (error) {
    violations.push({ kind: 'error', line: 0, message: `replay threw: ${(error as Error).stack ?? error}` });
    return { violations, events: 0 };
  }
  const tolerated = (line: number, follower: string) =>
    !options.outcomeWhenUnchanged && unchanged.has(`${line}|${follower}`);
  violations.push(...checkOutcomes(session, config, report, tolerated, options.reasonForSkippedChanges));
  if (options.checkDrift) violations.push(...checkDrift(config, book, report));
  if (options.checkDeterminism) {
    const again = await runReplay({ config, records: parseReplay(signals, 'jsonl').records });
    if (JSON.stringify(again) !== JSON.stringify(report)) {
      violations.push({ kind: 'determinism', line: 0, message: firstDifference(report, again) });
    }
  }
  const events = session.records.filter((r) => r.action !== undefined).length;
  return { violations: dedupe(violations), events, report };
}

/** (c) Every leader event has exactly one outcome per enabled follower, with its reason or code. */
function checkOutcomes(
  session: Session,
  config: EngineConfig,
  report: ReplayReport,
  tolerated: (line: number, follower: string) => boolean,
  reasonForSkippedChanges: boolean,
): Violation[] {
  const out: Violation[] = [];
  const enabled = config.followers.filter((f) => f.enabled).map((f) => f.name);
  session.records.forEach((r, i) => {
    if (r.action === undefined) return;
    const line = i + 1;
    const found = report.events.filter((e) => e.signalId === r.signalId);
    if (found.length !== 1) {
      out.push({
        kind: 'outcome',
        line,
        message: `${String(r.signalId)}: ${found.length} entries in events`,
      });
      return;
    }
    const e = found[0]!;
    if (e.line !== line || e.action !== r.action) {
      out.push({ kind: 'outcome', line, message: `${e.signalId}: events say line ${e.line} ${e.action}` });
    }
    const keys = Object.keys(e.outcomes);
    if (keys.join() !== enabled.join()) {
      out.push({
        kind: 'outcome',
        line,
        message: `${e.signalId}: outcomes for [${keys}], enabled [${enabled}]`,
      });
    }
    for (const follower of enabled) {
      const text = e.outcomes[follower] ?? 'none';
      if (text === 'none' && tolerated(line, follower)) continue;
      const legs = text.split('; ');
      const seen = new Set<string>();
      for (const leg of legs) {
        const words = leg.split(' ');
        const [name, outcome, reason] = legs.length === 1 ? ['', words[0], words[1]] : words;
        const bad =
          !OUTCOMES.has(outcome ?? '') ||
          (NEEDS_REASON.has(outcome!) &&
            !reason &&
            (reasonForSkippedChanges ||
              outcome !== 'skipped' ||
              (r.action !== 'modify' && r.action !== 'cancel'))) ||
          (legs.length > 1 && seen.has(name ?? ''));
        seen.add(name ?? '');
        if (bad)
          out.push({ kind: 'outcome', line, follower, message: `${e.signalId} (${e.action}): "${text}"` });
      }
    }
  });
  return out;
}

/**
 * (4) For an exact follower, and wherever the leader is flat, the report's drift
 * target is what the model says (drift lists the contract when the follower is off
 * it, and not when it holds it). Other rules are not modelled, so not checked.
 */
function checkDrift(config: EngineConfig, book: LeaderBook, report: ReplayReport): Violation[] {
  const out: Violation[] = [];
  for (const f of config.followers.filter((x) => x.enabled)) {
    const account = report.accounts.find((a) => a.name === f.name);
    if (!account) continue;
    const held = byRoot(account.positions.map((p) => [p.contract, p.netQty]));
    const roots = new Set([...held.keys(), ...[...book.positions.keys()].map((r) => targetRoot(f, r))]);
    for (const root of roots) {
      const sources = [...book.positions].filter(([r]) => targetRoot(f, r) === root);
      const ks = sources.map(([r, q]) => [exactRatio(f, r), q] as const).filter(([, q]) => q !== 0);
      const drift = account.drift.find((d) => rootOf(d.contract) === root);
      const has = held.get(root) ?? 0;
      let want: number | undefined;
      if (ks.length === 0) want = 0;
      else if (ks.every(([k]) => k !== undefined)) want = ks.reduce((n, [k, q]) => n + k! * q, 0);
      if (want !== undefined) {
        const said = drift ? drift.leader : has;
        if (said !== want) {
          out.push({
            kind: 'drift',
            line: 0,
            follower: f.name,
            message: `${root}: drift target ${said}, model ${want}, holds ${has}`,
          });
        }
      }
    }
  }
  return out;
}

function firstDifference(a: unknown, b: unknown): string {
  const x = JSON.stringify(a, null, 1).split('\n');
  const y = JSON.stringify(b, null, 1).split('\n');
  const i = x.findIndex((l, n) => l !== y[n]);
  return `report differs on a second run at line ${i + 1}: ${x[i]?.trim()} vs ${y[i]?.trim()}`;
}

/** One violation per kind, follower and message text (a state that persists is reported once, at its first line). */
function dedupe(violations: Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter((v) => {
    const k = `${v.kind}|${v.follower ?? ''}|${v.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Writes a counterexample as files `./tn replay` accepts; returns the folder. */
export function writeCounterexample(dir: string, session: Session, violations: readonly Violation[]): string {
  mkdirSync(dir, { recursive: true });
  const files = sessionFiles(session);
  writeFileSync(join(dir, 'signals.jsonl'), files.signals);
  writeFileSync(join(dir, 'config.yaml'), files.config);
  writeFileSync(join(dir, 'violations.txt'), `${violations.map(formatViolation).join('\n')}\n`);
  return dir;
}

export const formatViolation = (v: Violation): string =>
  `${v.kind} line ${v.line}${v.follower ? ` ${v.follower}` : ''}: ${v.message}`;
