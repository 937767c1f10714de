import {
  type Contract,
  ErrorCode,
  formatContract,
  InstrumentError,
  type InstrumentRegistry,
} from '@tradenova/core';
import { monthCode, monthNumber, thirdFriday } from '@tradenova/core/instruments';
import type { FixSymbology } from './config.js';

/** The instrument fields of a FIX order message, by dictionary name. */
export interface FixInstrument {
  Symbol: string;
  SecurityType: string;
  MaturityMonthYear?: string;
  MaturityDate?: string;
  SecurityExchange: string;
}

/** The instrument tags (55, 167, 200 or 541, 207) of a canonical contract. */
export function toFixInstrument(
  contract: Contract,
  symbology: FixSymbology,
  instruments: InstrumentRegistry,
): FixInstrument {
  const spec = instruments.get(contract.root);
  const mm = String(monthNumber(contract.month)).padStart(2, '0');
  const out: FixInstrument = {
    Symbol: symbology.symbol === 'full' ? formatContract(contract, 'short') : contract.root,
    SecurityType: symbology.securityType,
    SecurityExchange: symbology.securityExchange ?? spec.exchange,
  };
  if (symbology.maturity === '541') {
    // CME equity-index style expiry; the gateway reads the month from it (see docs: broker-specific).
    const day = thirdFriday(contract.year, monthNumber(contract.month)).getUTCDate();
    out.MaturityDate = `${contract.year}${mm}${String(day).padStart(2, '0')}`;
  } else {
    out.MaturityMonthYear = `${contract.year}${mm}`;
  }
  return out;
}

/**
 * The canonical contract of a FIX instrument: the root from 55 (a full `MNQZ5`
 * symbol is cut at its month code), the month and year from 200 or 541.
 */
export function fromFixInstrument(
  fields: Record<string, unknown>,
  instruments: InstrumentRegistry,
): Contract {
  const symbol = String(fields.Symbol ?? '').trim();
  const maturity = String(fields.MaturityMonthYear ?? fields.MaturityDate ?? '');
  const m = /^(\d{4})(\d{2})/.exec(maturity);
  let root = symbol;
  if (!instruments.has(root)) {
    const full = /^([A-Z0-9]+?)[FGHJKMNQUVXZ]\d{1,2}$/.exec(symbol);
    if (full && instruments.has(full[1]!)) root = full[1]!;
  }
  if (!m || !instruments.has(root)) {
    throw new InstrumentError(
      ErrorCode.ContractInvalid,
      `not a FIX futures instrument: 55=${symbol} 200/541=${maturity || '(none)'}`,
    );
  }
  return { root, month: monthCode(Number(m[2])), year: Number(m[1]) };
}
