/**
 * @tradenova/adapter-others/ninjatrader: NinjaTrader 8 through the Automated Trading
 * Interface's Order Instruction Files. The default export is the adapter plugin;
 * `./ninjatrader/simulator` runs a folder-watching NinjaTrader stand-in.
 */
import { ADAPTER_SPECIFICATION_VERSION, type AdapterPlugin } from '@tradenova/core';
import { type NinjaTraderConfig, ninjaTraderConfigSchema } from './config.js';
import { NINJATRADER_CAPABILITIES, NinjaTraderConnection } from './connection.js';
import { BROKER } from './errors.js';

export { OifWriter } from './client/oif-writer.js';
export {
  type OutgoingFile,
  OutgoingWatcher,
  type OutgoingWatcherOptions,
} from './client/outgoing-watcher.js';
export {
  type NinjaTraderConfig,
  type NinjaTraderConfigInput,
  type NinjaTraderFolders,
  ninjaTraderConfigSchema,
  resolveFolders,
} from './config.js';
export { NINJATRADER_CAPABILITIES, NinjaTraderConnection } from './connection.js';
export { BROKER, folderError, noAckError, rejectedError } from './errors.js';
export { type JournalEntry, type JournalOrder, OrderJournal } from './journal.js';
export * from './parse.js';
export { fromNinjaSymbol, toNinjaSymbol } from './symbols.js';
export * from './wire.js';

/** The NinjaTrader adapter plugin (`broker: ninjatrader`). */
export const ninjaTraderPlugin: AdapterPlugin<NinjaTraderConfig> = {
  specificationVersion: ADAPTER_SPECIFICATION_VERSION,
  name: BROKER,
  core: '^0.1.0',
  configSchema: ninjaTraderConfigSchema,
  capabilities: NINJATRADER_CAPABILITIES,
  create: (config, context) => new NinjaTraderConnection(config, context),
};

export default ninjaTraderPlugin;
