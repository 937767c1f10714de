import type { EngineEvent, EngineEventType, EventOf, OrderIntent, TradeSignal } from '@tradenova/core';

/** A leader signal for account-less tests. */
export function sampleSignal(signalId = 'sig-1', instrument = 'MNQZ25'): TradeSignal {
  return {
    signalId,
    leaderAccount: 'LEADER1',
    action: 'new',
    leaderOrderId: `lo-${signalId}`,
    instrument,
    side: 'buy',
    qty: 2,
    orderType: 'market',
    detectedAt: 1_764_000_000_000,
    receivedAt: 1_764_000_000_005,
  };
}

/** A follower intent on `accountId`. */
export function sampleIntent(accountId = 'ACC-7', signalId = 'sig-1'): OrderIntent {
  return {
    intentId: `tn-${signalId}-${accountId}`,
    signalId,
    follower: `f-${accountId}`,
    broker: 'paper',
    accountId,
    leg: 'entry',
    action: 'place',
    contract: { root: 'MNQ', month: 'Z', year: 2025 },
    side: 'buy',
    qty: 1,
    orderType: 'market',
    reducing: false,
    createdAt: 1_764_000_000_010,
  };
}

/**
 * One event of every type. Typed as a record over every event type, so a new event
 * type in core fails to compile here until the service suites cover it.
 */
export function everyEvent(accountId = 'ACC-7'): { [T in EngineEventType]: EventOf<T> } {
  const intent = sampleIntent(accountId);
  const contract = intent.contract;
  const time = 1_764_000_000_100;
  return {
    'signal-received': { type: 'signal-received', time, signal: sampleSignal() },
    'signal-rejected': {
      type: 'signal-rejected',
      time,
      signalId: 'sig-bad',
      field: 'qty',
      code: 'TN_ERR_SIGNAL_INVALID',
      message: 'more than 0',
    },
    'intent-created': { type: 'intent-created', time, intent },
    'follower-recovery': {
      type: 'follower-recovery',
      time,
      follower: intent.follower,
      accountId,
      state: 'pending',
      reason: 'rate limited (retry after 5000 ms)',
    },
    'order-placed': { type: 'order-placed', time, intent, orderId: 'o-1', latencyMs: 12 },
    'order-modified': { type: 'order-modified', time, intent, orderId: 'o-1' },
    'order-cancelled': {
      type: 'order-cancelled',
      time,
      follower: intent.follower,
      accountId,
      orderId: 'o-1',
      reason: 'leader cancelled',
    },
    'order-filled': {
      type: 'order-filled',
      time,
      follower: intent.follower,
      execution: {
        executionId: `x-${accountId}-1`,
        orderId: 'o-1',
        intentId: intent.intentId,
        broker: 'paper',
        accountId,
        contract,
        side: 'buy',
        qty: 1,
        priceTicks: 84_001,
        time,
      },
    },
    'order-rejected': {
      type: 'order-rejected',
      time,
      intent,
      code: 'TN_ERR_BROKER_REJECTED',
      reason: 'margin',
    },
    'order-blocked': {
      type: 'order-blocked',
      time,
      intent,
      reason: 'MAX_POSITION',
      message: 'position 5 > 4',
    },
    'order-timed-out': { type: 'order-timed-out', time, intent, afterMs: 2500 },
    'order-reconciled': { type: 'order-reconciled', time, intent, outcome: 'placed', orderId: 'o-1' },
    'account-pnl': {
      type: 'account-pnl',
      time,
      follower: intent.follower,
      accountId,
      broker: { balance: 50_125_500, realizedPnl: 125_500, unrealizedPnl: -4_000 },
      tracked: { realizedPnl: 125_500, unrealizedPnl: -4_000 },
    },
    'position-reconciled': {
      type: 'position-reconciled',
      time,
      follower: intent.follower,
      accountId,
      contract: 'MNQZ25',
      broker: 2,
      tracked: 1,
      target: 1,
      ordered: 0,
      policy: 'alert',
    },
    'order-failed': {
      type: 'order-failed',
      time,
      intent,
      code: 'TN_ERR_BROKER_UNAVAILABLE',
      message: 'breaker open',
    },
    'position-updated': {
      type: 'position-updated',
      time,
      follower: intent.follower,
      position: { accountId, contract, netQty: 1, avgPrice: '21000.25', realizedPnl: 0, unrealizedPnl: 1500 },
    },
    'account-status': {
      type: 'account-status',
      time,
      follower: intent.follower,
      accountId,
      status: 'paused',
      reason: 'operator',
      pnl: -2500,
    },
    'connection-status': {
      type: 'connection-status',
      time,
      broker: 'paper',
      connection: 'paper-main',
      state: 'connected',
    },
    'breaker-changed': {
      type: 'breaker-changed',
      time,
      broker: 'paper',
      connection: 'paper-main',
      state: 'open',
    },
    'account-flattened': {
      type: 'account-flattened',
      time,
      follower: intent.follower,
      accountId,
      contract: '*',
      reason: 'requested',
    },
    'service-status': {
      type: 'service-status',
      time,
      service: 'postgres',
      state: 'degraded',
      where: 'postgres://tn:***@127.0.0.1:5432/tn',
      reason: 'connection refused',
      pending: 12,
    },
    'signal-completed': {
      type: 'signal-completed',
      time,
      signalId: 'sig-1',
      outcomes: [
        {
          follower: intent.follower,
          intentId: intent.intentId,
          leg: 'entry',
          outcome: 'filled',
          latencyMs: 12,
        },
      ],
    },
  };
}

/** The same events as a list, in a realistic order. */
export function everyEventList(accountId?: string): EngineEvent[] {
  return Object.values(everyEvent(accountId));
}
