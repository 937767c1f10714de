import { pathToFileURL } from 'node:url';
import {
  ADAPTER_SPECIFICATION_VERSION,
  type AdapterPlugin,
  ErrorCode,
  paperPlugin,
  TradeNovaError,
} from '@tradenova/core';

/**
 * The adapters `broker:` names resolve to. Each loads its package only when a
 * config uses it, so one broker's protocol library never loads for another.
 */
const BUILTIN: Record<string, () => Promise<unknown>> = {
  paper: async () => paperPlugin,
  tradovate: async () => (await import('@tradenova/adapter-tradovate')).default,
  projectx: async () => (await import('@tradenova/adapter-projectx')).default,
  rithmic: async () => (await import('@tradenova/adapter-rithmic')).default,
  ninjatrader: async () => (await import('@tradenova/adapter-others/ninjatrader')).default,
  sierrachart: async () => (await import('@tradenova/adapter-others/sierrachart')).default,
  fix: async () => (await import('@tradenova/adapter-others/fix')).default,
  quantower: async () => (await import('@tradenova/adapter-others/quantower')).default,
};

/** Broker names that resolve without `module:`. */
export function builtinBrokers(): string[] {
  return Object.keys(BUILTIN);
}

/**
 * Resolves `broker: tradovate` to its plugin, or `broker: module:./my-adapter.js`
 * to a local plugin (relative to `baseDir`). Refuses unknown names and plugins
 * written for another contract version, with the reason.
 */
export async function resolvePlugin(broker: string, baseDir = process.cwd()): Promise<AdapterPlugin> {
  let loaded: unknown;
  if (broker.startsWith('module:')) {
    const spec = broker.slice('module:'.length);
    const url =
      spec.startsWith('.') || spec.startsWith('/') ? pathToFileURL(`${baseDir}/${spec}`).href : spec;
    try {
      const mod = (await import(url)) as { default?: unknown };
      loaded = mod.default ?? mod;
    } catch (error) {
      throw new TradeNovaError(
        ErrorCode.AdapterUnknown,
        `cannot load adapter module ${spec}: ${(error as Error).message}`,
      );
    }
  } else {
    const load = BUILTIN[broker];
    if (!load) {
      throw new TradeNovaError(
        ErrorCode.AdapterUnknown,
        `unknown broker "${broker}" (known: ${builtinBrokers().join(', ')}; or module:./path.js for your own adapter)`,
      );
    }
    loaded = await load();
  }
  const plugin = loaded as Partial<AdapterPlugin>;
  if (plugin.specificationVersion !== ADAPTER_SPECIFICATION_VERSION) {
    throw new TradeNovaError(
      ErrorCode.AdapterIncompatible,
      `adapter for "${broker}" implements contract ${String(plugin.specificationVersion)}, this TradeNova needs ${ADAPTER_SPECIFICATION_VERSION}`,
    );
  }
  if (typeof plugin.create !== 'function' || typeof plugin.name !== 'string') {
    throw new TradeNovaError(
      ErrorCode.AdapterIncompatible,
      `adapter for "${broker}" has no name or create()`,
    );
  }
  return plugin as AdapterPlugin;
}
