import {
  type EngineConfig,
  type FollowerConfig,
  type Logger,
  parseEngineConfig,
  RiskReason,
  silentLogger,
} from '@tradenova/core';
import type { ControlChange, ControlStore, FollowerSettings, KillSwitch } from '../redis/stores.js';

/** What the control applier drives: the engine's pause, resume and settings. */
export interface Pausable {
  /**
   * Pauses a follower; `reason` is the reason its blocked entries carry (`KILL_SWITCH` while the
   * kill switch holds it, `FOLLOWER_PAUSED` otherwise).
   */
  pause(follower: string, reason?: RiskReason): void;
  resume(follower: string): void;
  reconfigure?(follower: FollowerConfig): Promise<void>;
  readonly followers: readonly string[];
}

/**
 * Applies the shared control state to a running engine, at once: a follower is paused
 * while its settings say `paused` or `enabled: false`, or while the global kill switch
 * is engaged (no new entries anywhere; exits and protective orders still go, so
 * positions can be closed). The YAML is the starting point: a follower with no stored
 * settings keeps the state the YAML and the dashboard gave it. After a Redis outage the
 * whole state is read again, since pub/sub messages sent meanwhile are not replayed.
 */
export class ControlApplier {
  readonly #engine: Pausable;
  readonly #control: ControlStore;
  readonly #logger: Logger;
  readonly #settings = new Map<string, FollowerSettings>();
  #kill: KillSwitch = { engaged: false };
  /** What this applier last set (the pause reason, or false), so an unrelated change does not undo a dashboard pause. */
  readonly #applied = new Map<string, RiskReason | false>();
  #unsubscribe: (() => void) | undefined;

  /** The YAML's config: stored scaling and risk are laid over it, never over an earlier change. */
  readonly #base: EngineConfig | undefined;
  /** The scaling and risk last applied per follower (JSON), so a pause alone re-applies nothing. */
  readonly #appliedSettings = new Map<string, string>();

  constructor(engine: Pausable, control: ControlStore, logger: Logger = silentLogger, base?: EngineConfig) {
    this.#engine = engine;
    this.#control = control;
    this.#logger = logger;
    this.#base = base;
  }

  /** Reads the stored state, applies it, and follows changes until `stop()`. */
  async start(): Promise<void> {
    this.#unsubscribe = this.#control.onChange((change) => this.#onChange(change));
    await this.resync();
  }

  /** Reads everything again and applies it (after a reconnect). */
  async resync(): Promise<void> {
    const [followers, kill] = await Promise.all([
      this.#control.listFollowers(),
      this.#control.getKillSwitch(),
    ]);
    this.#settings.clear();
    for (const [name, settings] of Object.entries(followers)) this.#settings.set(name, settings);
    this.#kill = kill;
    for (const name of this.#engine.followers) {
      this.#apply(name, true);
      this.#applySettings(name);
    }
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Whether the kill switch is engaged, as last heard. */
  get killSwitch(): KillSwitch {
    return { ...this.#kill };
  }

  #onChange(change: ControlChange): void {
    if (change.kind === 'kill-switch') {
      this.#kill = change.killSwitch;
      this.#logger.warn({ killSwitch: change.killSwitch }, 'control: kill switch changed');
      for (const name of this.#engine.followers) this.#apply(name, false);
      return;
    }
    if (!this.#engine.followers.includes(change.name)) return;
    this.#settings.set(change.name, change.settings);
    this.#apply(change.name, false);
    this.#applySettings(change.name);
  }

  /** Scaling and risk changes reach the running engine between two of the follower's orders. */
  #applySettings(name: string): void {
    const base = this.#base;
    const reconfigure = this.#engine.reconfigure?.bind(this.#engine);
    if (!base || !reconfigure) return;
    const settings = this.#settings.get(name) ?? {};
    const wanted = JSON.stringify({ scaling: settings.scaling, risk: settings.risk });
    if ((this.#appliedSettings.get(name) ?? JSON.stringify({})) === wanted) return;
    let next: FollowerConfig | undefined;
    try {
      next = withStoredSettings(base, {
        [name]: { scaling: settings.scaling, risk: settings.risk },
      }).followers.find((f) => f.name === name);
    } catch (error) {
      // `accounts set` validates before storing; a bad value written some other way is refused here.
      this.#logger.error({ err: error, follower: name }, 'control: stored settings refused');
      return;
    }
    if (!next) return;
    this.#appliedSettings.set(name, wanted);
    reconfigure(next).catch((error) =>
      this.#logger.error({ err: error, follower: name }, 'control: settings not applied'),
    );
    this.#logger.info({ follower: name }, 'control: scaling and risk applied');
  }

  #apply(name: string, initial: boolean): void {
    const settings = this.#settings.get(name) ?? {};
    const stored = settings.paused !== undefined || settings.enabled !== undefined;
    const paused = this.#kill.engaged || settings.paused === true || settings.enabled === false;
    // The kill switch names itself in every entry it blocks, so an operator can tell it from a pause.
    const state: RiskReason | false = !paused
      ? false
      : this.#kill.engaged
        ? RiskReason.KillSwitch
        : RiskReason.FollowerPaused;
    // At start, a follower nobody set stays as the YAML made it.
    if (initial && !stored && !this.#kill.engaged) return;
    if (this.#applied.get(name) === state) return;
    this.#applied.set(name, state);
    if (state) this.#engine.pause(name, state);
    else this.#engine.resume(name);
  }
}

/**
 * The config with the stored follower settings laid over the YAML: `enabled`, `scaling`
 * and `risk` as stored (validated again, so a bad stored value fails here, naming the
 * follower). Used at start, and by the applier for a follower whose scaling or risk
 * changed while running.
 */
export function withStoredSettings(
  config: EngineConfig,
  stored: Readonly<Record<string, FollowerSettings>>,
): EngineConfig {
  const followers = config.followers.map((f) => {
    const s = stored[f.name];
    if (!s) return f;
    return {
      ...f,
      ...(s.enabled !== undefined ? { enabled: s.enabled } : {}),
      ...(s.scaling !== undefined ? { scaling: s.scaling as typeof f.scaling } : {}),
      ...(s.risk !== undefined ? { risk: { ...f.risk, ...s.risk } as typeof f.risk } : {}),
    };
  });
  return parseEngineConfig({ ...config, followers });
}
