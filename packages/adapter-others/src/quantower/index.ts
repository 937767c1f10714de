/**
 * `@tradenova/adapter-others/quantower`: a preset of the FIX adapter.
 *
 * Quantower has no documented external order-entry interface: its API (C#) runs
 * inside the Quantower app, and its integrations let Quantower talk to brokers,
 * not others talk to Quantower. An account a trader watches in Quantower is
 * reached here through that broker's own FIX 4.2 / 4.4 gateway, with the CompIDs,
 * credentials and dictionary the broker issues. Orders placed this way show up
 * in Quantower only if it is connected to the same account and the broker
 * reports externally entered orders. See docs/adapters/fix.md.
 */
import { ADAPTER_SPECIFICATION_VERSION, type AdapterContext, type AdapterPlugin } from '@tradenova/core';
import { type FixConfig, fixConfigSchema } from '../fix/config.js';
import { FIX_CAPABILITIES, FixConnection } from '../fix/connection.js';

/** The broker name of the preset in config, errors and events. */
export const QUANTOWER_BROKER = 'quantower';

/** A FIX connection labelled `quantower` (the broker's FIX gateway behind a Quantower-viewed account). */
export function createQuantowerConnection(config: FixConfig, context: AdapterContext): FixConnection {
  return new FixConnection(config, context, QUANTOWER_BROKER);
}

/** The Quantower preset plugin (`broker: quantower`): the FIX adapter under another name. */
export const quantowerPlugin: AdapterPlugin<FixConfig> = {
  specificationVersion: ADAPTER_SPECIFICATION_VERSION,
  name: QUANTOWER_BROKER,
  core: '^0.1.0',
  configSchema: fixConfigSchema,
  capabilities: FIX_CAPABILITIES,
  create: createQuantowerConnection,
};

export default quantowerPlugin;
