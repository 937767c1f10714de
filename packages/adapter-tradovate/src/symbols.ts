import {
  type Contract,
  defaultInstruments,
  ErrorCode,
  formatContract,
  InstrumentError,
  type InstrumentRegistry,
  parseContract,
} from '@tradenova/core';

/**
 * The Tradovate contract name of a canonical contract: root + month code + one-digit
 * year (`MNQZ5`), as Tradovate's `symbol` field and `contract/find?name=` expect.
 */
export function toTradovateSymbol(contract: Contract): string {
  return formatContract(contract, 'short');
}

/**
 * The canonical contract of a Tradovate contract name. The one-digit year is
 * resolved against `at` (the nearest year with that digit, at most a year back),
 * so `MNQZ5` read in 2025 is December 2025.
 */
export function fromTradovateSymbol(
  name: string,
  options: { at?: Date | number; registry?: InstrumentRegistry } = {},
): Contract {
  // Tradovate names never carry spaces or two-digit years; refuse them so a bad name is not silently accepted.
  if (!/^[A-Z0-9]+[FGHJKMNQUVXZ]\d$/.test(name)) {
    throw new InstrumentError(ErrorCode.ContractInvalid, `not a Tradovate contract name: "${name}"`);
  }
  return parseContract(name, {
    at: options.at ?? Date.now(),
    registry: options.registry ?? defaultInstruments,
  });
}
