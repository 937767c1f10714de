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
