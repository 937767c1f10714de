import {
  type Contract,
  defaultInstruments,
  ErrorCode,
  InstrumentError,
  type InstrumentRegistry,
} from '@tradenova/core';
import { isMonthCode } from '@tradenova/core/instruments';

/** A symbol format with its parser compiled once. */
export interface SierraSymbols {
  /** The DTC `Symbol` of a contract. */
  format(contract: Contract): string;
  /** The contract of a DTC `Symbol`; throws an `InstrumentError` for one of another form. */
  parse(symbol: string, at?: number): Contract;
}

const TOKENS: Record<string, string> = {
  root: '(?<root>[A-Z0-9]+?)',
  month: '(?<month>[FGHJKMNQUVXZ])',
  y: '(?<y>\\d)',
  yy: '(?<yy>\\d{2})',
  yyyy: '(?<yyyy>\\d{4})',
  exchange: '(?<exchange>[A-Z0-9_]+)',
};

/**
 * Symbols for one Sierra Chart service. The symbol form depends on the connected data and
 * trading service (`MNQZ25-CME`, `MNQZ5`, `F.US.MNQZ25`…), so it is a template rather than
 * one fixed rule (protocol notes §9).
 */
export function sierraSymbols(
  template: string,
  registry: InstrumentRegistry = defaultInstruments,
): SierraSymbols {
  const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const unknown = names.find((n) => !(n in TOKENS));
  if (unknown !== undefined) throw new RangeError(`symbolFormat: unknown token {${unknown}}`);
  if (!names.includes('root') || !names.includes('month') || !names.some((n) => n.startsWith('y'))) {
    throw new RangeError('symbolFormat needs {root}, {month} and a year token');
  }
  const pattern = new RegExp(
    `^${template
      .split(/(\{\w+\})/)
      .map((part) => {
        const token = /^\{(\w+)\}$/.exec(part)?.[1];
        return token === undefined ? part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : TOKENS[token]!;
      })
      .join('')}$`,
  );
  return {
    format(contract) {
      const exchange = registry.get(contract.root).exchange;
      return template.replace(/\{(\w+)\}/g, (_m, token: string) => {
        switch (token) {
          case 'root':
            return contract.root;
          case 'month':
            return contract.month;
          case 'y':
            return String(contract.year % 10);
          case 'yy':
            return String(contract.year % 100).padStart(2, '0');
          case 'yyyy':
            return String(contract.year);
          default:
            return exchange;
        }
      });
    },
    parse(symbol, at = Date.now()) {
      const match = pattern.exec(symbol.trim().toUpperCase());
      const groups = match?.groups;
      if (!groups || !registry.has(groups.root!) || !isMonthCode(groups.month!)) {
        throw new InstrumentError(
          ErrorCode.ContractInvalid,
          `not a symbol of the form ${template}: "${symbol}"`,
        );
      }
      let year: number;
      if (groups.yyyy !== undefined) year = Number(groups.yyyy);
      else if (groups.yy !== undefined) year = 2000 + Number(groups.yy);
      else {
        // One digit: the nearest year with that digit, at most a year back (as for Tradovate names).
        const base = new Date(at).getUTCFullYear() - 1;
        year = base + ((Number(groups.y) - (base % 10) + 10) % 10);
      }
      return { root: groups.root!, month: groups.month, year };
    },
  };
}
