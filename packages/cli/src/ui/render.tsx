import type { EngineConfig } from '@tradenova/core';
import { render } from 'ink';
import { App } from './app.js';
import { type ControlledSession, createController } from './controller.js';
import { initialState } from './state.js';
import { DashboardStore } from './store.js';

/** Options of `runDashboard`. */
export interface DashboardOptions {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream;
  /** Resolves when the run must stop from outside (a signal, `--duration`). */
  stop: Promise<unknown>;
  redact: (text: string) => string;
  /** Colours; off when `NO_COLOR` is set (https://no-color.org). */
  color?: boolean;
}

/** The part of a live session the dashboard needs (run/session.ts's `Session` has it). */
export interface DashboardSession extends ControlledSession {
  readonly config: EngineConfig;
  close(): Promise<void>;
}

/**
 * Shows the full-screen dashboard until the user quits (q, Ctrl-C) or `stop`
 * resolves, then keeps showing it while the session finishes in-flight orders
 * and closes. Loaded lazily, only on a TTY.
 */
export async function runDashboard(session: DashboardSession, options: DashboardOptions): Promise<void> {
  const { config } = session;
  const store = new DashboardStore(
    initialState(
      config.followers.map((f) => {
        const key = f.connection ?? f.broker;
        return {
          follower: f.name,
          broker: session.connections[key]?.broker ?? f.broker,
          connection: key,
          accountId: f.account,
          enabled: f.enabled,
        };
      }),
    ),
  );
  let quit = () => {};
  const quitting = new Promise<void>((resolve) => {
    quit = resolve;
  });
  const controller = createController(session, store, { onQuit: () => quit() });
  const color = options.color ?? process.env.NO_COLOR === undefined;
  const ink = render(<App store={store} controller={controller} theme={{ color }} />, {
    stdin: options.stdin,
    stdout: options.stdout,
    exitOnCtrlC: false,
    alternateScreen: true,
    maxFps: 15,
  });
  try {
    await Promise.race([quitting, options.stop]);
    store.dispatch({ type: 'quitting' });
    await session.close();
    controller.snapshot();
  } finally {
    controller.dispose();
    store.close();
    ink.unmount();
    await ink.waitUntilExit().catch(() => undefined);
  }
}
