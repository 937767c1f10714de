import type { AsciiSession, IJsFixConfig, ISessionDescription, MsgView } from 'jspurefix';
import { type JsFixModule, loadJsFix } from './jspurefix.js';

/** A decoded FIX message: field names (dictionary names) to values, components flattened. */
export type FixFields = Record<string, unknown>;

/** What a running session reports to its owner (the adapter connection or the simulator). */
export interface FixSessionHandlers {
  /** Logged on: application messages may be sent. */
  onReady(session: FixSessionHandle): void;
  /** An application message (after the session layer's sequence checks). */
  onMessage(msgType: string, fields: FixFields, session: FixSessionHandle): void;
  /** The session ended (logout, dropped socket, refused logon). */
  onStopped(error: Error | undefined, session: FixSessionHandle): void;
  /** Acceptor only: decides the peer's logon (CompIDs already matched by the engine). */
  onLogon?(fields: FixFields, username: string | undefined, password: string | undefined): boolean;
  /** Every decoded / encoded raw message, for debug logs and tests (SOH shown as `|`). */
  onRaw?(direction: 'in' | 'out', msgType: string, text: string): void;
}

/** The owner's view of one live FIX session. */
export interface FixSessionHandle {
  /** Sends an application (or admin) message built from dictionary field names. */
  send(msgType: string, body: FixFields): void;
  /** Sends Logout and ends the session once the peer answers. */
  logout(): void;
  /** Drops the TCP connection at once, as a network failure would. */
  drop(): void;
  /** Skips `n` outbound sequence numbers: the peer sees a gap (fault injection). */
  skipSequence(n: number): void;
  /** Asks the peer to resend from `begin` (ResendRequest, 16=0). */
  requestResend(begin: number): void;
  /** Last outbound and inbound sequence numbers. */
  sequence(): { sent: number; received: number };
  /** True once logged on and until stopped. */
  readonly ready: boolean;
}

/** Flattens a `MsgView.toObject()` tree: component fields are lifted to the top, repeating groups kept. */
export function flattenFields(tree: Record<string, unknown>, out: FixFields = {}): FixFields {
  for (const [key, value] of Object.entries(tree)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
      flattenFields(value as Record<string, unknown>, out);
    } else if (!(key in out)) {
      out[key] = value;
    }
  }
  return out;
}

/** A jspurefix logger factory that drops everything: a library must not print on its own. */
function silentLogFactory(lib: JsFixModule) {
  const empty = new lib.EmptyLogger();
  return { logger: () => empty, plain: () => empty };
}

/** Makes the session subclass once jspurefix is loaded (it cannot be declared before the import). */
function sessionClass(lib: JsFixModule) {
  class TradeNovaFixSession extends (lib.AsciiSession as unknown as new (
    config: IJsFixConfig,
  ) => AsciiSession) {
    readonly #handlers: FixSessionHandlers;
    #ready = false;
    readonly handle: FixSessionHandle;

    constructor(config: IJsFixConfig, handlers: FixSessionHandlers) {
      super(config);
      this.#handlers = handlers;
      // Our own duplicate check (ExecID) decides what a PossDup resend means; keep the engine quiet.
      this.logReceivedMsgs = false;
      const self = this;
      this.handle = {
        send: (msgType, body) => self.send(msgType, body),
        // done() moves the engine to WaitingLogoutConfirm before sending, so the peer's reply ends the session.
        logout: () => self.done(),
        drop: () => {
          const duplex = self.transport?.duplex as { destroy?: () => void } | undefined;
          duplex?.destroy?.();
        },
        skipSequence: (n) => {
          const transmitter = self.transport?.transmitter as { msgSeqNum: number } | undefined;
          if (transmitter) transmitter.msgSeqNum += n;
        },
        requestResend: (begin) => {
          const request = self.config.factory?.resendRequest(begin, 0);
          if (request) self.send('2', request);
        },
        sequence: () => ({ sent: self.lastSentSeqNum(), received: self.lastPeerSeqNum() }),
        get ready() {
          return self.#ready;
        },
      };
    }

    protected override onApplicationMsg(msgType: string, view: MsgView): void {
      this.#handlers.onMessage(
        msgType,
        flattenFields(view.toObject() as Record<string, unknown>),
        this.handle,
      );
    }

    protected override onReady(): void {
      this.#ready = true;
      this.#handlers.onReady(this.handle);
    }

    protected override onLogon(view: MsgView, user: string, password: string): boolean {
      if (!this.#handlers.onLogon) return true;
      return this.#handlers.onLogon(
        flattenFields(view.toObject() as Record<string, unknown>),
        user ?? undefined,
        password ?? undefined,
      );
    }

    protected override onStopped(error?: Error): void {
      const wasReady = this.#ready;
      this.#ready = false;
      this.#handlers.onStopped(
        error ?? (wasReady ? undefined : new Error('session ended before logon')),
        this.handle,
      );
    }

    protected override onDecoded(msgType: string, txt: string): void {
      this.#handlers.onRaw?.('in', msgType, txt);
    }

    protected override onEncoded(msgType: string, txt: string): void {
      this.#handlers.onRaw?.('out', msgType, txt);
    }
  }
  return TradeNovaFixSession;
}

/** Sequence numbers that outlive one TCP connection when no store directory is configured. */
export interface SharedSessionStore {
  /** Passed to jspurefix as `sessionStoreFactory`. */
  readonly factory: { create: (sessionId: unknown) => unknown };
}

/** A memory session store reused by every session of one owner, so a reconnect continues the sequence. */
export async function sharedMemoryStore(): Promise<SharedSessionStore> {
  const lib = await loadJsFix();
  const stores = new Map<string, unknown>();
  return {
    factory: {
      create: (sessionId: unknown) => {
        const key = String((sessionId as { toString(): string }).toString());
        let store = stores.get(key);
        if (!store) {
          store = new lib.MemorySessionStore(
            sessionId as ConstructorParameters<typeof lib.MemorySessionStore>[0],
          );
          stores.set(key, store);
        }
        return store;
      },
    },
  };
}

/** A started jspurefix launcher: `done` settles when it ends, `stop()` ends it. */
export interface RunningLauncher {
  done: Promise<unknown>;
  stop(): void;
}

/**
 * Starts a jspurefix initiator or acceptor for `description`; `makeHandlers` is
 * called once per session (one per TCP connection on an acceptor).
 */
export async function launchFix(
  description: ISessionDescription,
  makeHandlers: () => FixSessionHandlers,
  sessionStore?: SharedSessionStore,
): Promise<RunningLauncher> {
  const lib = await loadJsFix();
  const Session = sessionClass(lib);
  const initiator = description.application?.type === 'initiator';
  const logs = silentLogFactory(lib);
  class Launcher extends lib.SessionLauncher {
    constructor() {
      super(initiator ? description : null, initiator ? null : description, logs as never);
    }
    protected override makeFactory() {
      return {
        makeSession: (config: IJsFixConfig) => {
          if (sessionStore)
            config.sessionStoreFactory = sessionStore.factory as IJsFixConfig['sessionStoreFactory'];
          return new Session(config, makeHandlers());
        },
      } as never;
    }
  }
  const launcher = new Launcher();
  const done = launcher.run();
  // The caller observes `done`; an unobserved rejection must not crash the process.
  done.catch(() => {});
  return { done, stop: () => launcher.stop() };
}
