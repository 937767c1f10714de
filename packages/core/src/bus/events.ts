import type { ConnectionState } from '../adapter/contract.js';
import type { Execution } from '../model/execution.js';
import type { OrderIntent } from '../model/intent.js';
import type { Position } from '../model/position.js';
import type { TradeSignal } from '../model/signal.js';
import type { Money } from '../money/money.js';
import type { RiskReason } from '../risk/reasons.js';

/** Per-account outcome of one signal. */
export type IntentOutcome = 'placed' | 'filled' | 'rejected' | 'blocked' | 'timed-out' | 'skipped' | 'failed';

/** Everything the engine tells the world, one union. Names are noun-verb. */
export type EngineEvent =
  | { type: 'signal-received'; time: number; signal: TradeSignal }
  | {
      type: 'signal-rejected';
      time: number;
      signalId?: string;
      /** Line of the input file, when the signal came from one. */
      line?: number;
      /** Where the message was, when the signal came from Kafka. */
      source?: { topic: string; partition: number; offset: string };
      field: string;
      code: string;
      message: string;
    }
  | { type: 'intent-created'; time: number; intent: OrderIntent }
  | { type: 'order-placed'; time: number; intent: OrderIntent; orderId: string; latencyMs: number }
  | { type: 'order-modified'; time: number; intent: OrderIntent; orderId: string }
  | {
      type: 'order-cancelled';
      time: number;
      follower: string;
      accountId: string;
      orderId: string;
      reason?: string;
    }
  | { type: 'order-filled'; time: number; follower: string; execution: Execution }
  | { type: 'order-rejected'; time: number; intent: OrderIntent; code: string; reason: string }
  | {
      type: 'order-blocked';
      time: number;
      intent: OrderIntent;
      reason: RiskReason;
      message: string;
    }
  | {
      type: 'order-timed-out';
      time: number;
      intent: OrderIntent;
      afterMs: number;
      /** Why the outcome is unknown: the deadline passed, or the connection dropped after sending. */
      reason?: string;
    }
  | {
      type: 'order-reconciled';
      time: number;
      intent: OrderIntent;
      /** What the broker says became of an order whose outcome was unknown. */
      outcome: 'placed' | 'not-placed';
      orderId?: string;
    }
  | {
      type: 'position-reconciled';
      time: number;
      follower: string;
      accountId: string;
      contract: string;
      broker: number;
      tracked: number;
      target: number;
      /** Signed qty ordered to bring it in line (0 when only reported). */
      ordered: number;
      policy: 'align' | 'alert' | 'flatten';
    }
  | { type: 'order-failed'; time: number; intent: OrderIntent; code: string; message: string }
  | { type: 'position-updated'; time: number; follower: string; position: Position }
  | {
      type: 'account-status';
      time: number;
      follower: string;
      accountId: string;
      status: 'enabled' | 'paused' | 'locked-out' | 'flattening';
      reason?: string;
      /** Session P&L at the time, in mils. */
      pnl?: Money;
    }
  | {
      /**
       * A follower its engine could not bring back in line yet (its broker refused or was
       * down during a recovery), then `recovered` once a later attempt got through. While
       * pending, the engine tries again every few seconds.
       */
      type: 'follower-recovery';
      time: number;
      follower: string;
      accountId: string;
      state: 'pending' | 'recovered';
      reason?: string;
    }
  | {
      type: 'connection-status';
      time: number;
      broker: string;
      connection: string;
      state: ConnectionState;
      reason?: string;
    }
  | {
      type: 'breaker-changed';
      time: number;
      broker: string;
      connection: string;
      /** open: orders to this connection fail fast without being sent; half-open: one is let through to try. */
      state: 'closed' | 'open' | 'half-open' | 'isolated';
    }
  | {
      /**
       * An account's money as its broker reports it (Rithmic's PnL plant), beside what the
       * engine tracks from fills: a difference points at fills the engine did not see.
       */
      type: 'account-pnl';
      time: number;
      follower: string;
      accountId: string;
      broker: { balance?: Money; realizedPnl?: Money; unrealizedPnl?: Money };
      tracked: { realizedPnl: Money; unrealizedPnl: Money };
    }
  | {
      type: 'account-flattened';
      time: number;
      follower: string;
      accountId: string;
      /** The contract key, or `*` for every position of the account. */
      contract: string;
      /** Why: a leader flatten's signal id, `requested`, a risk reason, `reconciliation`. */
      reason: string;
    }
  | {
      /** An external service (Kafka, PostgreSQL, Redis, a market-data feed) changed state. Published by the CLI, never by the engine itself. */
      type: 'service-status';
      time: number;
      service: 'kafka' | 'postgres' | 'redis' | 'market-data';
      /** ok: working; degraded: failing and retried with backoff while copying goes on. */
      state: 'ok' | 'degraded';
      /** Where the service is (no password). */
      where: string;
      reason?: string;
      /** Records kept in memory until the service is back (the journal's queue). */
      pending?: number;
    }
  | {
      type: 'signal-completed';
      time: number;
      signalId: string;
      /** Per follower: outcome of each intent of this signal. */
      outcomes: {
        follower: string;
        intentId: string;
        leg: string;
        outcome: IntentOutcome;
        latencyMs?: number;
        /** Why a `skipped` outcome changed nothing at the broker (`SkipReason`, a stable code). */
        code?: string;
      }[];
    };

export type EngineEventType = EngineEvent['type'];
export type EventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;
