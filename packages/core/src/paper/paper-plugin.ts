import { z } from 'zod';
import { ADAPTER_SPECIFICATION_VERSION, type AdapterPlugin } from '../adapter/contract.js';
import { DEFAULT_PAPER_BALANCE, PAPER_BROKER, PAPER_CAPABILITIES, PaperBroker } from './paper-broker.js';
import { SimulatedExchange } from './simulated-exchange.js';

const wholeNonNegative = z.number().int().min(0);

/** Settings of `broker: paper`; every one is optional. */
export const paperConfigSchema = z
  .object({
    latencyMs: wholeNonNegative.optional(),
    jitterMs: wholeNonNegative.optional(),
    slippageTicks: wholeNonNegative.optional(),
    /** Probability in [0, 1) that an order is rejected. */
    rejectRate: z.number().min(0).lt(1).optional(),
    partialFills: z.boolean().optional(),
    seed: z.number().int().optional(),
    /** Accounts the connection serves (the plugin contract has no other way to name them). */
    accounts: z.array(z.string().min(1)).optional(),
    /** Starting balance of each account, in mils. */
    startingBalance: z.number().int().min(0).optional(),
  })
  .strict();

/** Parsed `broker: paper` settings. */
export type PaperPluginConfig = z.output<typeof paperConfigSchema>;

/**
 * Makes a paper adapter plugin. Given an exchange, every connection it creates
 * trades on that one exchange (the replay shares one market across leader and
 * followers, and the exchange's own options then apply); otherwise each
 * connection gets its own exchange built from its config.
 */
export function createPaperPlugin(shared?: {
  exchange: SimulatedExchange;
}): AdapterPlugin<PaperPluginConfig> {
  return {
    specificationVersion: ADAPTER_SPECIFICATION_VERSION,
    name: PAPER_BROKER,
    configSchema: paperConfigSchema,
    capabilities: PAPER_CAPABILITIES,
    create(config, context) {
      const exchange =
        shared?.exchange ??
        new SimulatedExchange({
          clock: context.clock,
          instruments: context.instruments,
          logger: context.logger,
          ...withoutUndefined({
            latencyMs: config.latencyMs,
            jitterMs: config.jitterMs,
            slippageTicks: config.slippageTicks,
            rejectRate: config.rejectRate,
            partialFills: config.partialFills,
            seed: config.seed,
          }),
        });
      return new PaperBroker(exchange, config.accounts ?? [], {
        startingBalance: config.startingBalance ?? DEFAULT_PAPER_BALANCE,
      });
    },
  };
}

/** `broker: paper`: each connection on its own simulated exchange. */
export const paperPlugin: AdapterPlugin<PaperPluginConfig> = createPaperPlugin();

function withoutUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
