import { type Contract, ErrorCode, formatContract, InstrumentError, type MonthCode } from '@tradenova/core';
import { isMonthCode } from '@tradenova/core/instruments';

/**
 * CME roots whose ProjectX root differs. ES, NQ and 6E are from the protocol notes;
 * the energy, metal and treasury ones are UNCONFIRMED guesses, which is why the
 * adapter resolves contract ids through `Contract/search` by name and uses this
 * table only to read ids it has never searched for (and in the simulator).
 */
export const PROJECTX_ROOTS: Readonly<Record<string, string>> = Object.freeze({
  ES: 'EP',
  NQ: 'ENQ',
  '6E': 'EU6',
  CL: 'CLE',
  GC: 'GCE',
  SI: 'SIE',
  ZN: 'TYA',
  ZB: 'USA',
});

const CONTRACT_ID = /^CON\.F\.US\.([A-Z0-9]+)\.([A-Z])(\d{2})$/;

/** Overrides of the root table, CME root → ProjectX root (from config). */
export type RootOverrides = Readonly<Record<string, string>>;

function projectxRoot(root: string, overrides: RootOverrides | undefined): string {
  return overrides?.[root] ?? PROJECTX_ROOTS[root] ?? root;
}

function cmeRoot(pxRoot: string, overrides: RootOverrides | undefined): string {
  for (const table of [overrides ?? {}, PROJECTX_ROOTS]) {
    for (const [cme, px] of Object.entries(table)) if (px === pxRoot) return cme;
  }
  return pxRoot;
}

/** The ProjectX contract id of a canonical contract: `CON.F.US.<pxRoot>.<month><yy>`, e.g. `CON.F.US.MNQ.Z25`. */
export function toProjectXContractId(contract: Contract, overrides?: RootOverrides): string {
  const yy = String(contract.year % 100).padStart(2, '0');
  return `CON.F.US.${projectxRoot(contract.root, overrides)}.${contract.month}${yy}`;
}

/** The `symbolId` of a contract: the id without `CON.` and the expiry, e.g. `F.US.EP`. */
export function toProjectXSymbolId(contract: Contract, overrides?: RootOverrides): string {
  return `F.US.${projectxRoot(contract.root, overrides)}`;
}

/** The exchange-style contract `name` ProjectX reports, with a one-digit year: `MNQZ5`. */
export function toProjectXName(contract: Contract): string {
  return formatContract(contract, 'short');
}

/**
 * The canonical contract of a ProjectX contract id. The two-digit year is read as
 * 20yy. A string that is not of the `CON.F.US.ROOT.Myy` form is refused, not guessed.
 */
export function fromProjectXContractId(id: string, overrides?: RootOverrides): Contract {
  const m = CONTRACT_ID.exec(id);
  if (!m) throw new InstrumentError(ErrorCode.ContractInvalid, `not a ProjectX contract id: "${id}"`);
  const [, pxRoot, month, yy] = m as unknown as [string, string, string, string];
  if (!isMonthCode(month)) {
    throw new InstrumentError(ErrorCode.ContractInvalid, `"${month}" in "${id}" is not a month code`);
  }
  return { root: cmeRoot(pxRoot, overrides), month: month as MonthCode, year: 2000 + Number(yy) };
}
