import {
  type Contract,
  defaultInstruments,
  ErrorCode,
  formatContract,
  InstrumentError,
  type InstrumentRegistry,
  parseContract,
} from '@tradenova/core';

/** NinjaTrader 8's futures instrument name: root, space, two-digit month, dash, two-digit year (`MNQ 12-25`). */
export function toNinjaSymbol(contract: Contract): string {
  return formatContract(contract, 'ninja');
}

/** The canonical contract of a NinjaTrader 8 instrument name such as `MNQ 12-25`. */
export function fromNinjaSymbol(name: string, registry: InstrumentRegistry = defaultInstruments): Contract {
  // Only the NT8 futures form: a bare root or an NT7 `MNQ 12-25`-less name would silently mean a front month.
  if (!/^[A-Z0-9]+ \d{2}-\d{2}$/.test(name.trim())) {
    throw new InstrumentError(ErrorCode.ContractInvalid, `not a NinjaTrader 8 instrument name: "${name}"`);
  }
  return parseContract(name, { registry });
}
