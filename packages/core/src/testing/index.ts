/**
 * @tradenova/core/testing: the adapter conformance suite (vitest), the shared
 * simulated exchange every broker simulator puts its protocol in front of, and the waiting
 * helpers (`waitFor`, `waitForEvent`) tests use instead of fixed sleeps.
 */

export { ExchangeFaults, SimulatedExchange, type SimulatedExchangeOptions } from '../paper/index.js';
export {
  type ConformanceCase,
  type ConformanceHarness,
  type ConformanceMarket,
  type ConformanceSuiteOptions,
  runConformanceSuite,
} from './conformance.js';
export {
  type EmitterLike,
  type Subscribe,
  type WaitForEventOptions,
  type WaitForOptions,
  WaitTimeoutError,
  waitFor,
  waitForEvent,
} from './wait.js';
