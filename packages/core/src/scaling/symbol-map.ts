import type { SymbolMap } from '../config/schema.js';

/** The follower's instrument root and how many of its contracts stand for one leader contract. */
export interface MappedSymbol {
  /** Follower instrument root, e.g. `MNQ`. */
  root: string;
  /** Follower contracts per leader contract, e.g. 10 for NQ → MNQ. */
  ratio: number;
}

/** Maps a leader root through a follower's symbol map; an unmapped root is copied as is with ratio 1. */
export function mapSymbol(root: string, map: SymbolMap): MappedSymbol {
  // hasOwn, so a root can never pick up Object.prototype members.
  const entry = Object.hasOwn(map, root) ? map[root] : undefined;
  return entry === undefined ? { root, ratio: 1 } : { root: entry.to, ratio: entry.ratio };
}
