import { contractKey, type EngineEvent, formatMoney } from '@tradenova/core';
import type { Insertable } from 'kysely';
import type {
  AccountStatusTable,
  ErrorsTable,
  ExecutionsTable,
  IntentsTable,
  OrdersTable,
  PositionsTable,
  SignalsTable,
} from './schema.js';

/** Rows of one batch, by table and by how they are written. */
export interface JournalRows {
  /** Upserted: fill the signal's fields, keep its completion. */
  signalsReceived: Insertable<SignalsTable>[];
  /** Upserted: set completion, keep the received fields. */
  signalsCompleted: Insertable<SignalsTable>[];
  intents: Insertable<IntentsTable>[];
  orders: Insertable<OrdersTable>[];
  executions: Insertable<ExecutionsTable>[];
  positions: Insertable<PositionsTable>[];
  accountStatus: Insertable<AccountStatusTable>[];
  errors: Insertable<ErrorsTable>[];
}

/** Empty rows for a batch. */
export function emptyRows(): JournalRows {
  return {
    signalsReceived: [],
    signalsCompleted: [],
    intents: [],
    orders: [],
    executions: [],
    positions: [],
    accountStatus: [],
    errors: [],
  };
}

/** Adds the row(s) one engine event becomes. Every event type lands in exactly one table. */
export function addEventRows(rows: JournalRows, event: EngineEvent): void {
  // A new event type fails to compile at `exhaustive` until it has a table.
  const json = JSON.stringify;
  switch (event.type) {
    case 'signal-received': {
      const s = event.signal;
      rows.signalsReceived.push({
        signal_id: s.signalId,
        leader_account: s.leaderAccount,
        action: s.action,
        instrument: 'instrument' in s ? (s.instrument ?? null) : null,
        detected_at: s.detectedAt,
        received_at: s.receivedAt,
        payload: json(s),
      });
      return;
    }
    case 'signal-completed':
      rows.signalsCompleted.push({
        signal_id: event.signalId,
        completed_at: event.time,
        outcomes: json(event.outcomes),
      });
      return;
    case 'intent-created': {
      const i = event.intent;
      rows.intents.push({
        intent_id: i.intentId,
        signal_id: i.signalId,
        follower: i.follower,
        broker: i.broker,
        account_id: i.accountId,
        leg: i.leg,
        action: i.action,
        instrument: contractKey(i.contract),
        side: i.side,
        qty: i.qty,
        order_type: i.orderType,
        reducing: i.reducing,
        created_at: i.createdAt,
        payload: json(i),
      });
      return;
    }
    case 'order-placed':
    case 'order-modified':
    case 'order-rejected':
    case 'order-timed-out': {
      const i = event.intent;
      rows.orders.push({
        intent_id: i.intentId,
        follower: i.follower,
        account_id: i.accountId,
        order_id: 'orderId' in event ? event.orderId : null,
        status: event.type.slice('order-'.length),
        code: event.type === 'order-rejected' ? event.code : null,
        reason: event.type === 'order-rejected' ? event.reason : null,
        latency_ms: event.type === 'order-placed' ? Math.round(event.latencyMs) : null,
        time: event.time,
        payload: json(event),
      });
      return;
    }
    case 'order-cancelled':
      rows.orders.push({
        follower: event.follower,
        account_id: event.accountId,
        order_id: event.orderId,
        status: 'cancelled',
        reason: event.reason ?? null,
        time: event.time,
        payload: json(event),
      });
      return;
    case 'order-filled': {
      const x = event.execution;
      rows.executions.push({
        broker: x.broker,
        execution_id: x.executionId,
        order_id: x.orderId,
        intent_id: x.intentId ?? null,
        follower: event.follower,
        account_id: x.accountId,
        instrument: contractKey(x.contract),
        side: x.side,
        qty: x.qty,
        price_ticks: x.priceTicks,
        time: x.time,
        payload: json(x),
      });
      return;
    }
    case 'position-updated': {
      const p = event.position;
      rows.positions.push({
        follower: event.follower,
        account_id: p.accountId,
        instrument: contractKey(p.contract),
        net_qty: p.netQty,
        avg_price: p.avgPrice,
        realized_pnl: p.realizedPnl,
        unrealized_pnl: p.unrealizedPnl,
        time: event.time,
      });
      return;
    }
    case 'account-status':
      rows.accountStatus.push({
        kind: 'account',
        follower: event.follower,
        account_id: event.accountId,
        status: event.status,
        reason: event.reason ?? null,
        pnl: event.pnl ?? null,
        time: event.time,
      });
      return;
    case 'follower-recovery':
      rows.accountStatus.push({
        kind: 'recovery',
        follower: event.follower,
        account_id: event.accountId,
        status: event.state,
        reason: event.reason ?? null,
        time: event.time,
      });
      return;
    case 'connection-status':
      rows.accountStatus.push({
        kind: 'connection',
        broker: event.broker,
        connection: event.connection,
        status: event.state,
        reason: event.reason ?? null,
        time: event.time,
      });
      return;
    case 'order-reconciled': {
      // The broker's answer about an order whose outcome was unknown: the order's next step.
      const i = event.intent;
      rows.orders.push({
        intent_id: i.intentId,
        follower: i.follower,
        account_id: i.accountId,
        order_id: event.orderId ?? null,
        status: event.outcome === 'placed' ? 'reconciled-placed' : 'reconciled-not-placed',
        time: event.time,
        payload: json(event),
      });
      return;
    }
    case 'account-flattened':
      rows.orders.push({
        follower: event.follower,
        account_id: event.accountId,
        status: 'flattened',
        reason: `${event.contract}: ${event.reason}`,
        time: event.time,
        payload: json(event),
      });
      return;
    case 'account-pnl': {
      const b = event.broker;
      const part = (name: string, v: number | undefined) =>
        v === undefined ? [] : [`${name} ${formatMoney(v)}`];
      rows.accountStatus.push({
        kind: 'broker-pnl',
        follower: event.follower,
        account_id: event.accountId,
        status: 'reported',
        reason: [
          ...part('balance', b.balance),
          ...part('realized', b.realizedPnl),
          ...part('unrealized', b.unrealizedPnl),
          `tracked realized ${formatMoney(event.tracked.realizedPnl)}`,
        ].join(', '),
        ...(b.realizedPnl !== undefined ? { pnl: b.realizedPnl } : {}),
        time: event.time,
      });
      return;
    }
    case 'position-reconciled':
      rows.accountStatus.push({
        kind: 'reconcile',
        follower: event.follower,
        account_id: event.accountId,
        status: event.policy,
        reason: `${event.contract}: broker ${event.broker}, tracked ${event.tracked}, target ${event.target}, ordered ${event.ordered}`,
        time: event.time,
      });
      return;
    case 'breaker-changed':
      rows.accountStatus.push({
        kind: 'breaker',
        broker: event.broker,
        connection: event.connection,
        status: event.state,
        time: event.time,
      });
      return;
    case 'service-status':
      rows.accountStatus.push({
        kind: 'service',
        connection: event.service,
        status: event.state,
        reason: event.reason ?? null,
        time: event.time,
      });
      return;
    case 'order-blocked':
    case 'order-failed': {
      const i = event.intent;
      rows.errors.push({
        kind: event.type,
        signal_id: i.signalId,
        intent_id: i.intentId,
        follower: i.follower,
        account_id: i.accountId,
        code: event.type === 'order-blocked' ? event.reason : event.code,
        message: event.message,
        time: event.time,
        payload: json(event),
      });
      return;
    }
    case 'signal-rejected':
      rows.errors.push({
        kind: event.type,
        signal_id: event.signalId ?? null,
        code: event.code,
        field: event.field,
        message: event.message,
        time: event.time,
        payload: json(event),
      });
      return;
    default:
      exhaustive(event);
  }
}

function exhaustive(event: never): never {
  throw new Error(`journal: no table for event ${JSON.stringify(event)}`);
}
