import {
  type Contract,
  defaultInstruments,
  ErrorCode,
  formatContract,
  InstrumentError,
  type InstrumentRegistry,
  parseContract,
} from '@tradenova/core';

/** A contract as Rithmic names it: symbol plus exchange. */
export interface RithmicSymbol {
  /** Root + month code + one-digit year, e.g. `MNQZ5`. */
  symbol: string;
  /** `CME`, `CBOT`, `NYMEX` or `COMEX`. */
  exchange: string;
}

/** The Rithmic symbol and exchange of a canonical contract (§13): `MNQZ5` on `CME`. */
export function toRithmicSymbol(
  contract: Contract,
  registry: InstrumentRegistry = defaultInstruments,
): RithmicSymbol {
  return { symbol: formatContract(contract, 'short'), exchange: registry.get(contract.root).exchange };
}

/**
 * The canonical contract of a Rithmic symbol. The one-digit year is resolved against
 * `at` (nearest year with that digit, at most a year back); the exchange must be the
 * product's, so `ESU5` on `CBOT` is refused rather than silently read as the CME one.
 */
export function fromRithmicSymbol(
  symbol: string,
  exchange: string,
  options: { at?: Date | number; registry?: InstrumentRegistry } = {},
): Contract {
  if (!/^[A-Z0-9]+[FGHJKMNQUVXZ]\d$/.test(symbol)) {
    throw new InstrumentError(ErrorCode.ContractInvalid, `not a Rithmic futures symbol: "${symbol}"`);
  }
  const registry = options.registry ?? defaultInstruments;
  const contract = parseContract(symbol, { at: options.at ?? Date.now(), registry });
  const expected = registry.get(contract.root).exchange;
  if (expected !== exchange) {
    throw new InstrumentError(
      ErrorCode.ContractInvalid,
      `${symbol} trades on ${expected}, not on "${exchange}"`,
    );
  }
  return contract;
}
