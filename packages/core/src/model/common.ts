export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop' | 'stop-limit';
export type TimeInForce = 'day' | 'gtc';

/** +1 for buy, -1 for sell. */
export function sideSign(side: Side): 1 | -1 {
  return side === 'buy' ? 1 : -1;
}

export function oppositeSide(side: Side): Side {
  return side === 'buy' ? 'sell' : 'buy';
}

/** The side that moves a position of sign `delta` (positive: buy). */
export function sideOf(delta: number): Side {
  return delta >= 0 ? 'buy' : 'sell';
}
