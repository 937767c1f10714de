import { ErrorCode, TradeNovaError } from '@tradenova/core';

/**
 * Loads an optional peer dependency on first use. The FIX and dxFeed clients are optional peers
 * (heavy, and only some users need them); when one is not installed, say which packages to add
 * instead of Node's bare "Cannot find package".
 */
export async function importOptionalPeer<T>(
  feature: string,
  packages: readonly string[],
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new TradeNovaError(
      ErrorCode.AdapterIncompatible,
      `${feature} needs the optional package(s) ${packages.join(', ')}, which are not installed: ` +
        `npm install ${packages.join(' ')}`,
      { cause: error, disposition: 'fatal' },
    );
  }
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
