/** A leader market order on MNQH7 as it comes on `trade.signals`; `fillPrice` when the leader's fill matters. */
export const marketSignal = (
  signalId: string,
  side: 'buy' | 'sell' = 'buy',
  qty = 1,
  fillPrice?: string,
) => ({
  signalId,
  action: 'new',
  leaderOrderId: `lo-${signalId}`,
  instrument: 'MNQH7',
  side,
  qty,
  orderType: 'market',
  ...(fillPrice === undefined ? {} : { fillPrice }),
});

/** A leader buy limit of 1 far below the market: placed and never filled, so each intent has one clear outcome. */
export const restingLimit = (signalId: string, leaderOrderId = `lo-${signalId}`) => ({
  signalId,
  action: 'new',
  leaderOrderId,
  instrument: 'MNQH7',
  side: 'buy',
  qty: 1,
  orderType: 'limit',
  limitPrice: '15000.00',
});
