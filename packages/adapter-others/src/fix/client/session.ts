import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import type { AsciiSession, IJsFixConfig, ISessionDescription, MsgView } from 'jspurefix';
import type { FixFields } from '../wire.js';
import { type JsFixModule, loadJsFix } from './jspurefix.js';

/** What a running session reports to its owner (the adapter connection or the simulator). */
export interface FixSessionHandlers {
  /** A session object exists for a new TCP connection (not logged on yet). */
  onCreated?(session: FixSessionHandle): void;
  /** Logged on: application messages may be sent. */
  onReady(session: FixSessionHandle): void;
  /** An application message (after the session layer's sequence checks). */
  onMessage(msgType: string, fields: FixFields, session: FixSessionHandle): void;
  /** The session ended (logout, dropped socket, refused logon). */
  onStopped(error: Error | undefined, session: FixSessionHandle): void;
  /**
   * Acceptor only, before anything of a new connection's first message is processed:
   * false refuses a Logon from `peer` (the socket is closed, nothing is answered).
   */
  admit?(peer: string): boolean;
  /** Acceptor only: decides the peer's logon (CompIDs already matched by the engine). */
  onLogon?(fields: FixFields, username: string | undefined, password: string | undefined): boolean;
  /** Every decoded / encoded raw message, for debug logs and tests (SOH shown as `|`). */
  onRaw?(direction: 'in' | 'out', msgType: string, text: string): void;
  /**
   * Acceptor only: tags the dictionary requires on a message type that this side does not
   * insist on (by MsgType). jspurefix session-rejects any message missing one otherwise.
   */
  notRequired?: Readonly<Record<string, readonly number[]>>;
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
  /** Logged on and not logging out: a second logon for this peer would be a duplicate. */
  readonly active: boolean;
  /** The peer's CompID (on a wildcard acceptor, known once its Logon arrived). */
  readonly peer: string;
}

const LOGON = 'A';
const SEQUENCE_RESET = '4';
const TAG_MSG_SEQ_NUM = 34;
const TAG_POSS_DUP = 43;
const TAG_SENDER_COMP_ID = 49;
const TAG_TEXT = 58;
const TAG_RESET_SEQ_NUM = 141;
const TAG_HEART_BT_INT = 108;
/** Session-level message types: never retransmitted, a gap fill stands for them. */
const ADMIN_TYPES = new Set(['0', '1', '2', '3', '4', '5', 'A']);

/** Application messages sent per session store (one per session id and owner), by MsgSeqNum. */
const SENT = new WeakMap<object, Map<number, { msgType: string; body: FixFields; time: Date }>>();
/** How many sent messages a session keeps for resends; older ones are gap-filled. */
const MAX_KEPT = 10_000;

/** Session states in which a logged-on session is on its way out. */
const ENDING_STATES = new Set([
  'WaitingLogoutConfirm',
  'ConfirmingLogout',
  'Stopped',
  'DetectBrokenNetworkConnection',
]);

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
    /** Acceptor: the first message of the connection has been through `admit`. */
    #admitted = false;
    /** The Text of the peer's Logout, which says why a gateway ended the session. */
    #peerLogoutText: string | undefined;
    /** Acceptor: what the initiator's Logon asked for, echoed in our Logon answer. */
    #peerLogon: { reset: boolean; heartBtInt: number | undefined } | undefined;
    readonly handle: FixSessionHandle;

    constructor(config: IJsFixConfig, handlers: FixSessionHandlers) {
      super(config);
      this.#handlers = handlers;
      // Our own duplicate check (ExecID) decides what a PossDup resend means; keep the engine quiet.
      this.logReceivedMsgs = false;
      const self = this;
      this.handle = {
        send: (msgType, body) => self.#sendAndKeep(msgType, body),
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
        get active() {
          return self.#ready && !ENDING_STATES.has(self.stateString());
        },
        get peer() {
          return String(self.config.description.TargetCompID ?? '');
        },
      };
      this.#guardSequence();
      this.#relaxRequired();
      this.#plainHeartbeats();
      this.#resendFromSent(config);
      handlers.onCreated?.(this.handle);
    }

    /**
     * jspurefix 5.11 answers a ResendRequest from a message store that nothing fills,
     * so every resend came out as one gap fill and no execution report was ever
     * retransmitted. Answer it from the application messages this owner sent, kept
     * by sequence number beside the session store (so they outlive a reconnect, as
     * the sequence numbers do). Admin messages are not kept: a gap fill stands for
     * them, as FIX requires. An initiator configured with `resendGapFillOnly` still
     * gap-fills everything (the resender checks that flag first).
     */
    #resendFromSent(config: IJsFixConfig): void {
      const engine = this as unknown as { store: unknown; resender: unknown; sessionStore: object };
      engine.store = {
        getSeqNumRange: async (from: number, to?: number) => {
          const sent = SENT.get(engine.sessionStore);
          const out: unknown[] = [];
          if (!sent) return out;
          const last = to === undefined || to === 0 ? this.lastSentSeqNum() : to;
          for (let seq = from; seq <= last; seq++) {
            const message = sent.get(seq);
            if (message)
              out.push(
                new lib.FixMsgStoreRecord(message.msgType, message.time, seq, { ...message.body }, null),
              );
          }
          return out;
        },
        clear: async () => {
          SENT.get(engine.sessionStore)?.clear();
          return {};
        },
      };
      // The constructor already built a resender on the old store; later resets rebuild it on ours.
      engine.resender = new lib.FixMsgAsciiStoreResend(engine.store as never, config);
    }

    /** Sends, and keeps an application message for a later ResendRequest. */
    #sendAndKeep(msgType: string, body: FixFields): void {
      this.send(msgType, body);
      if (ADMIN_TYPES.has(msgType)) return;
      const key = (this as unknown as { sessionStore: object }).sessionStore;
      let sent = SENT.get(key);
      if (!sent) {
        sent = new Map();
        SENT.set(key, sent);
      }
      // Encoding is synchronous, so the number just used is the last sent.
      sent.set(this.lastSentSeqNum(), { msgType, body, time: new Date() });
      if (sent.size > MAX_KEPT) sent.delete(sent.keys().next().value as number);
    }

    /**
     * jspurefix session-rejects a message missing a tag its dictionary requires; a
     * gateway may ask less (CQG's answers OrderStatusRequest from Account and ClOrdID
     * alone). The check is a private method, wrapped on this instance: the tags the
     * owner named for the message type are not counted as missing.
     */
    #relaxRequired(): void {
      const relaxed = this.#handlers.notRequired;
      if (!relaxed) return;
      const engine = this as unknown as { checkIntegrity(msgType: string, view: MsgView): boolean };
      const check = engine.checkIntegrity.bind(this);
      engine.checkIntegrity = (msgType, view) => {
        const skip = relaxed[msgType];
        if (skip) {
          const v = view as unknown as { missing(): number[] };
          const missing = v.missing.bind(view);
          v.missing = () => missing().filter((tag) => !skip.includes(Number(tag)));
        }
        return check(msgType, view);
      };
    }

    /**
     * jspurefix puts a TestReqID (the time) on the heartbeats its timer sends; FIX says
     * 112 is only for the heartbeat that answers a TestRequest, and a validating peer
     * reads an unsolicited one as an answer to a request it never made. The timer's
     * heartbeats go out without it; answers to a TestRequest keep theirs. Both methods
     * are private in jspurefix, so they are wrapped on this instance.
     */
    #plainHeartbeats(): void {
      const engine = this as unknown as { tick(): void; sendHeartbeat(testReqId?: string): void };
      const tick = engine.tick.bind(this);
      const heartbeat = engine.sendHeartbeat.bind(this);
      let ticking = false;
      engine.tick = () => {
        ticking = true;
        try {
          tick();
        } finally {
          ticking = false;
        }
      };
      engine.sendHeartbeat = (testReqId) => heartbeat(ticking ? undefined : testReqId);
    }

    /**
     * A MsgSeqNum below the expected one without PossDupFlag cannot be recovered. The
     * stock engine closes the socket without a word; the FIX rule (and QuickFIX) first
     * sends a Logout whose Text says which number was expected, so the other side can
     * tell a stale sequence store from a network fault. The engine's check is a private
     * method, so it is wrapped on this instance rather than overridden.
     */
    #guardSequence(): void {
      const engine = this as unknown as {
        checkSeqNo(msgType: string, view: MsgView): boolean;
        coordinator: { pendingResendRequests: readonly { begin: number; end: number }[] };
      };
      const check = engine.checkSeqNo.bind(this);
      engine.checkSeqNo = (msgType, view) => {
        if (msgType !== SEQUENCE_RESET) {
          const received = Number(view.getTyped(TAG_MSG_SEQ_NUM));
          const expected = this.lastPeerSeqNum() + 1;
          const possDup = view.getTyped(TAG_POSS_DUP) === true;
          const reset = msgType === LOGON && view.getTyped(TAG_RESET_SEQ_NUM) === true;
          // A message the peer resends for our ResendRequest may come without PossDupFlag.
          const requested = engine.coordinator.pendingResendRequests.some(
            (r) => received >= r.begin && received <= r.end,
          );
          if (!possDup && !reset && !requested && received < expected) {
            const text = `MsgSeqNum too low, expecting ${expected} but received ${received}`;
            this.sendLogout(text);
            this.stop(new Error(text));
            return false;
          }
        }
        return check(msgType, view);
      };
    }

    protected override onMsg(msgType: string, view: MsgView): void {
      if (this.acceptor && !this.#admitted) {
        this.#admitted = true;
        const peer = view.getString(TAG_SENDER_COMP_ID) ?? '';
        if (msgType === LOGON && this.#handlers.admit && !this.#handlers.admit(peer)) {
          this.stop(new Error(`a session for ${peer} is already logged on`));
          return;
        }
      }
      super.onMsg(msgType, view);
    }

    protected override peerLogout(view: MsgView): void {
      this.#peerLogoutText = view.getString(TAG_TEXT) ?? undefined;
      super.peerLogout(view);
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

    /**
     * An acceptor answers a Logon in the initiator's terms (FIX session rules, and what
     * QuickFIX/J checks): ResetSeqNumFlag=Y is answered with 141=Y (jspurefix already
     * numbers the answer 1), and the heartbeat interval is the initiator's HeartBtInt,
     * echoed in the answer and used for our own heartbeats. jspurefix answers with its
     * configured values, which QuickFIX/J refuses ("Received logon response before
     * sending request") and then retries forever.
     */
    override sendLogon(): void {
      const asked = this.#peerLogon;
      if (!this.acceptor || !asked) {
        super.sendLogon();
        return;
      }
      const logon = this.config.factory?.logon() as FixFields | undefined;
      if (!logon) return;
      if (asked.reset) logon.ResetSeqNumFlag = true;
      if (asked.heartBtInt !== undefined) logon.HeartBtInt = asked.heartBtInt;
      this.send(LOGON, logon);
    }

    protected override onLogon(view: MsgView, user: string, password: string): boolean {
      if (this.acceptor) {
        const heartBtInt = Number(view.getTyped(TAG_HEART_BT_INT));
        const valid = Number.isInteger(heartBtInt) && heartBtInt > 0;
        this.#peerLogon = {
          reset: view.getTyped(TAG_RESET_SEQ_NUM) === true,
          heartBtInt: valid ? heartBtInt : undefined,
        };
        if (valid) (this.sessionState as { heartBeat: number }).heartBeat = heartBtInt;
      }
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
      // The peer's Logout text explains an ending better than the socket state does.
      const told = this.#peerLogoutText;
      const reason = told && (error || !wasReady) ? new Error(`peer logged out: ${told}`) : error;
      this.#handlers.onStopped(
        reason ?? (wasReady ? undefined : new Error('session ended before logon')),
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

/** Sequence numbers that outlive one TCP connection (memory) or one process (files). */
export interface SharedSessionStore {
  /** Passed to jspurefix as `sessionStoreFactory`. */
  readonly factory: { create: (sessionId: unknown) => unknown };
  /** Resolves once every write issued so far has landed (at once for memory). */
  settled(): Promise<void>;
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
    settled: async () => {},
  };
}

type StreamProvider = InstanceType<JsFixModule['FileSessionStreamProvider']>;

/**
 * jspurefix's file stream provider, with its small-file writes put in order and
 * made atomic. The stock provider starts one `fs.promises.writeFile` per message
 * without waiting for the last, so two writes of the sequence-number file can land
 * in either order (or a reader can meet it truncated): after a restart the session
 * then logs on with a MsgSeqNum it already used, and the gateway drops it as "too
 * low". Here every write and read of those files joins one queue (the sequence
 * numbers are written at once instead, see `writeSeqNums`), and the sequence-number
 * and session-time files are replaced by rename, never truncated.
 */
class OrderedFileProvider {
  readonly #inner: StreamProvider;
  readonly #seqNumsPath: string;
  readonly #sessionPath: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(inner: StreamProvider, seqNumsPath: string, sessionPath: string) {
    this.#inner = inner;
    this.#seqNumsPath = seqNumsPath;
    this.#sessionPath = sessionPath;
  }

  /** The newest session's view: writes of sequence numbers from an older one are dropped. */
  #newest: object | undefined;

  /**
   * This provider as one session store sees it. jspurefix makes a store per session (per
   * connection), each with its own counters; a session that ended can still write its stale
   * numbers after the next session moved on (a Logout or a late message on its way out),
   * which put a restarted copier back to a MsgSeqNum it had already used ("MsgSeqNum too low,
   * expecting 39 but received 17", chaos on six brokers). Only the newest session's writes land.
   */
  forSession(): StreamProvider {
    const view: StreamProvider = Object.create(this);
    this.#newest = view;
    view.writeSeqNums = (content: string) =>
      this.#newest === view ? this.writeSeqNums(content) : Promise.resolve();
    return view;
  }

  /** Resolves once every queued write has landed. */
  settled(): Promise<void> {
    return this.#queue.then(
      () => {},
      () => {},
    );
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => {});
    return next;
  }

  static async #replace(path: string, content: string): Promise<void> {
    const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, content, 'utf8');
    await rename(temporary, path);
  }

  openBody = () => this.#inner.openBody();
  // The body is written synchronously by the stock provider, so its order already holds.
  appendBody = (data: Buffer) => this.#inner.appendBody(data);
  readBody = (offset: number, length: number) => this.#inner.readBody(offset, length);
  getBodySize = () => this.#inner.getBodySize();
  appendHeaderLine = (line: string) => this.#enqueue(() => this.#inner.appendHeaderLine(line));
  readHeaderLines = () => this.#enqueue(() => this.#inner.readHeaderLines());
  readSeqNums = () => this.#enqueue(() => this.#inner.readSeqNums());
  /**
   * Synchronously, before the next message goes out: queued writes of a busy session fell
   * behind by up to 19 numbers, and a process killed (kill -9) lost them all, so it logged
   * on again with a number it had used and the gateway logged it out ("MsgSeqNum too low",
   * chaos on examples/fix.yaml). A written file outlives the process. A reset queued before
   * may still delete the file; the store writes the numbers again right after a reset.
   */
  writeSeqNums = (content: string) => {
    const temporary = `${this.#seqNumsPath}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temporary, content, 'utf8');
    renameSync(temporary, this.#seqNumsPath);
    return Promise.resolve();
  };
  readSessionTime = () => this.#enqueue(() => this.#inner.readSessionTime());
  writeSessionTime = (content: string) =>
    this.#enqueue(() => OrderedFileProvider.#replace(this.#sessionPath, content));
  reset = () => this.#enqueue(() => this.#inner.reset());
  flush = () => this.#enqueue(() => this.#inner.flush());
  dispose = () => this.#enqueue(() => this.#inner.dispose());
}

/**
 * A file session store in `directory` (jspurefix's file layout) whose writes land
 * in order, shared by every session of one owner: a reconnect or a restart
 * continues the sequence. `settled()` lets `disconnect()` return only once the
 * last sequence numbers are on disk.
 */
export async function durableFileStore(directory: string): Promise<SharedSessionStore> {
  const lib = await loadJsFix();
  const providers = new Map<string, OrderedFileProvider>();
  return {
    factory: {
      create: (sessionId: unknown) => {
        const id = sessionId as InstanceType<JsFixModule['SessionId']>;
        const key = id.toString();
        let provider = providers.get(key);
        if (!provider) {
          provider = new OrderedFileProvider(
            new lib.FileSessionStreamProvider(id, directory),
            id.getFilePath(directory, 'seqnums'),
            id.getFilePath(directory, 'session'),
          );
          providers.set(key, provider);
        }
        // One provider per session id, so every session of this owner queues its writes behind
        // the last; each store gets a view of it that is silenced once a newer session starts.
        return new lib.FileSessionStore(id, provider.forSession(), false);
      },
    },
    settled: async () => {
      await Promise.all([...providers.values()].map((p) => p.settled()));
    },
  };
}

/** A started jspurefix launcher: `done` settles when it ends, `stop()` ends it. */
export interface RunningLauncher {
  done: Promise<unknown>;
  /** Acceptor only: the bound port once the listener accepts connections (rejects if it cannot bind). */
  listening: Promise<number>;
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
  let markListening: (port: number) => void = () => {};
  let failListening: (error: Error) => void = () => {};
  const listening = new Promise<number>((resolve, reject) => {
    markListening = resolve;
    failListening = reject;
  });
  // Observed by the acceptor's owner only; an initiator never settles it.
  listening.catch(() => {});
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
    protected override getAcceptor(container: unknown) {
      const started = super.getAcceptor(container as never);
      // The listener entity creates its net.Server and calls listen() synchronously inside
      // start(), so the server exists now and its 'listening' / 'error' events are still to
      // come. jspurefix throws from its own 'error' handler (an uncaught EADDRINUSE); replace
      // it so a port in use rejects `listening` instead of killing the process.
      const entity = (this as unknown as { acceptorEntity?: { acceptor?: { server?: Server } } })
        .acceptorEntity;
      const server = entity?.acceptor?.server;
      if (!server) {
        failListening(new Error('the FIX acceptor did not start a listener'));
      } else {
        server.removeAllListeners('error');
        server.on('error', (error) => failListening(error));
        const report = () => markListening((server.address() as AddressInfo).port);
        if (server.listening) report();
        else server.once('listening', report);
      }
      return started;
    }
  }
  const launcher = new Launcher();
  const done = launcher.run();
  // The caller observes `done`; an unobserved rejection must not crash the process.
  done.catch(() => {});
  return { done, listening, stop: () => launcher.stop() };
}
