import { type BrokerConnection, contractKey, type Engine, type LeaderActivity } from '@tradenova/core';
import type { KeyCommand } from './keys.js';
import type { AccountSnapshot, BrokerHealth } from './state.js';
import type { DashboardStore } from './store.js';

/** Carries out key commands against a live session and keeps the store fed. */
export interface DashboardController {
  run(command: KeyCommand): void;
  /** Reads P&L, positions, drift and broker health from the session now. */
  snapshot(): void;
  dispose(): void;
}

/**
 * The part of a live session the controller needs; run/session.ts's `Session` has it (tests pass
 * a real session; nothing here is mocked). Declared here so ui/ does not import run/.
 */
export interface ControlledSession {
  readonly engine: Engine;
  readonly connections: Readonly<Record<string, BrokerConnection>>;
  onLeaderActivity(listener: (activity: LeaderActivity) => void): () => void;
  flatten(follower?: string): Promise<void>;
}

/**
 * Wires a session into the dashboard store: engine events and leader activity
 * as they happen, P&L marks, drift and connection health on a timer (they move
 * without events), and the key commands. The components never touch the engine.
 */
export function createController(
  session: ControlledSession,
  store: DashboardStore,
  options: { onQuit: () => void; snapshotMs?: number },
): DashboardController {
  const { engine } = session;
  const offEngine = engine.on((event) => store.dispatch({ type: 'engine', event }));
  const offLeader = session.onLeaderActivity((a) => store.dispatch({ type: 'leader', ...a }));
  const notice = (text: string | undefined) => store.dispatch({ type: 'notice', text });
  const fail = (what: string) => (error: unknown) =>
    notice(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);

  const snapshot = () => {
    store.dispatch({
      type: 'snapshot',
      accounts: engine.followers.map((f) => accountSnapshot(engine, f)),
      brokers: Object.fromEntries(
        Object.entries(session.connections).map(([key, c]): [string, BrokerHealth] => {
          const h = c.health();
          return [
            key,
            {
              broker: c.broker,
              state: h.state,
              ...(h.latencyMs !== undefined ? { latencyMs: h.latencyMs } : {}),
            },
          ];
        }),
      ),
    });
  };
  snapshot();
  const timer = setInterval(snapshot, options.snapshotMs ?? 500);

  const flatten = (follower?: string) => {
    notice(follower ? `flattening ${follower}…` : 'flattening every account…');
    session
      .flatten(follower)
      .then(() => {
        snapshot();
        notice(follower ? `${follower} flattened` : 'every account flattened');
      })
      .catch(fail('flatten'));
  };

  return {
    snapshot,
    run(command) {
      const state = store.getState();
      switch (command.type) {
        case 'select':
          store.dispatch({ type: 'select', delta: command.delta });
          break;
        case 'toggle-pause': {
          const row = state.accounts.find((a) => a.follower === command.follower);
          if (row?.status === 'paused') engine.resume(command.follower);
          else engine.pause(command.follower);
          break;
        }
        case 'pause-all':
          for (const f of engine.followers) engine.pause(f);
          notice('every follower paused: new entries are blocked, exits still copy');
          break;
        case 'resume-all':
          for (const f of engine.followers) engine.resume(f);
          notice('every follower resumed');
          break;
        case 'ask-flatten':
          store.dispatch({ type: 'ask', confirm: { kind: 'flatten', follower: command.follower } });
          break;
        case 'ask-flatten-all':
          store.dispatch({ type: 'ask', confirm: { kind: 'flatten-all' } });
          break;
        case 'decline':
          store.dispatch({ type: 'answer' });
          notice('nothing done');
          break;
        case 'confirm': {
          const confirm = state.confirm;
          store.dispatch({ type: 'answer' });
          if (confirm?.kind === 'flatten') flatten(confirm.follower);
          else if (confirm?.kind === 'flatten-all') flatten();
          else if (confirm?.kind === 'align') {
            notice(`aligning ${confirm.followers.join(', ')}…`);
            Promise.all(confirm.followers.map((f) => engine.reconcile(f, 'align')))
              .then(() => notice('aligned with the leader'))
              .catch(fail('align'));
          }
          break;
        }
        case 'reconcile':
          notice('reconciling every follower with its broker…');
          engine
            .reconcile(undefined, 'alert')
            .then((result) => {
              const drifting = [...result]
                .filter(([, lines]) => lines.some((l) => l.broker !== l.target))
                .map(([f]) => f);
              snapshot();
              if (drifting.length === 0) notice('no drift: every follower matches its share of the leader');
              else {
                notice(undefined);
                store.dispatch({ type: 'ask', confirm: { kind: 'align', followers: drifting } });
              }
            })
            .catch(fail('reconcile'));
          break;
        case 'quit':
          options.onQuit();
          break;
        case 'none':
          break;
      }
    },
    dispose() {
      clearInterval(timer);
      offEngine();
      offLeader();
    },
  };
}

/** P&L, positions and drift of one follower as the engine holds them now. */
export function accountSnapshot(engine: Engine, follower: string): AccountSnapshot {
  const pnl = engine.pnl(follower);
  const positions: Record<string, number> = {};
  for (const p of engine.positions(follower))
    if (p.netQty !== 0) positions[contractKey(p.contract)] = p.netQty;
  const targets = engine.targets(follower);
  const drift: Record<string, number> = {};
  for (const key of new Set([...Object.keys(positions), ...targets.keys()])) {
    const d = (positions[key] ?? 0) - (targets.get(key) ?? 0);
    if (d !== 0) drift[key] = d;
  }
  return { follower, realized: pnl.realized, unrealized: pnl.unrealized, positions, drift };
}
