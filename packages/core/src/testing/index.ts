/**
 * @tradenova/core/testing: the adapter conformance suite (vitest) and the shared
 * simulated exchange every broker simulator puts its protocol in front of.
 */

export { ExchangeFaults, SimulatedExchange, type SimulatedExchangeOptions } from '../paper/index.js';
export {
  type ConformanceCase,
  type ConformanceHarness,
  type ConformanceMarket,
  type ConformanceSuiteOptions,
  runConformanceSuite,
} from './conformance.js';
