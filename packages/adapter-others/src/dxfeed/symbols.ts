import {
  type Contract,
  ErrorCode,
  InstrumentError,
  type InstrumentRegistry,
  type MonthCode,
} from '@tradenova/core';
import { isMonthCode } from '@tradenova/core/instruments';

/** dxFeed namespaces (exchange MICs) of the exchanges in the instrument registry. */
const MIC: Record<string, string> = { CME: 'XCME', CBOT: 'XCBT', NYMEX: 'XNYM', COMEX: 'XCEC' };

/** The dxFeed symbol of a contract: `/` + root + month + two-digit year + `:` + MIC, e.g. `/MNQZ25:XCME`. */
export function toDxFeedSymbol(contract: Contract, instruments: InstrumentRegistry): string {
  const exchange = instruments.get(contract.root).exchange;
  return `/${contract.root}${contract.month}${String(contract.year % 100).padStart(2, '0')}:${MIC[exchange] ?? exchange}`;
}

/** The contract of a dxFeed futures symbol (`/MNQZ25:XCME`); the century is the current one. */
export function fromDxFeedSymbol(symbol: string, instruments: InstrumentRegistry): Contract {
  const m = /^\/([A-Z0-9]+)([FGHJKMNQUVXZ])(\d{2}):([A-Z]+)$/.exec(symbol);
  if (!m || !instruments.has(m[1]!) || !isMonthCode(m[2]!)) {
    throw new InstrumentError(ErrorCode.ContractInvalid, `not a dxFeed futures symbol: "${symbol}"`);
  }
  return { root: m[1]!, month: m[2] as MonthCode, year: 2000 + Number(m[3]) };
}
