/**
 * @tradenova/core: the copy engine SDK. Follow the data flow of docs/architecture.md:
 * model → instruments → scaling → risk → engine (fan-out) → positions → bus.
 *
 * The root entry is the deliberate, everyday surface: create an engine, parse its config, the
 * signal model, instrument/contract and money helpers, errors, the adapter contract, the paper
 * broker and replay. Every name here is listed by hand (no `export *`), so growing the surface is
 * a reviewed change; test/surface/root-exports.test.ts keeps the runtime names under 90.
 * Building blocks for adapter authors, the CLI and advanced embedders live in subpath entries
 * (`@tradenova/core/adapter`, `/config`, `/engine`, `/instruments`, `/market-data`, `/paper`,
 * `/replay`, `/risk`, `/testing`); packages/core/README.md says what each is for.
 */

// The adapter contract: what a broker plugin implements (the kit for writing one is /adapter).
export {
  ADAPTER_SPECIFICATION_VERSION,
  type AdapterCapabilities,
  type AdapterContext,
  type AdapterPlugin,
  type BrokerAccount,
  type BrokerAccountUpdate,
  type BrokerConnection,
  type BrokerEvent,
  type BrokerFill,
  type BrokerOrder,
  type BrokerOrderStatus,
  type BrokerPosition,
  type CancelOrderRequest,
  type CapabilityDeclaration,
  type CapabilityName,
  type ConnectionHealth,
  type ConnectionState,
  type FlattenRequest,
  type ModifyOrderRequest,
  type OrderAck,
  type PlaceOrderRequest,
  type RequestBudget,
  type Support,
} from './adapter/index.js';
// Engine events and the in-process bus (a Kafka bus routes with `routeEvent`).
export {
  type EngineEvent,
  type EngineEventType,
  type EventBus,
  type EventListener,
  type EventOf,
  InMemoryBus,
  type IntentOutcome,
  routeEvent,
  TOPICS,
  type TopicName,
} from './bus/index.js';
export { type Clock, sleep, systemClock, type Timer, VirtualClock } from './clock/index.js';
// Config: parse once at the edge (the zod schemas of each section are in /config).
export {
  type EngineConfig,
  type EngineConfigInput,
  engineConfigSchema,
  type FollowerConfig,
  type LeaderConfig,
  type PaperConfig,
  parseEngineConfig,
  type RiskConfig,
  type ScalingConfig,
  type ServicesConfig,
  type SourceConfig,
  type SymbolMap,
  type WebhookSourceConfig,
} from './config/index.js';
// The engine itself (split-role routing and the planners behind it are in /engine).
export {
  type ConnectionPlan,
  createEngine,
  type Engine,
  type EngineOptions,
  type ReconcileLine,
  type ReconcilePolicy,
  type ReconcileResults,
  type SignalOutcome,
  type SignalResult,
  type Sink,
  SkipReason,
  type Source,
  type SubmitMeta,
} from './engine/index.js';
export {
  BrokerAuthError,
  BrokerDisconnectedError,
  BrokerError,
  BrokerRateLimitedError,
  BrokerRejectedError,
  BrokerTimeoutError,
  BrokerTokenExpiredError,
  BrokerUnavailableError,
  BrokerUnknownOrderError,
  ConfigError,
  type ConfigIssue,
  ErrorCode,
  type ErrorDisposition,
  formatConfigIssue,
  InstrumentError,
  SignalError,
  TradeNovaError,
} from './errors.js';
// Instruments and contracts (month-code and roll-date arithmetic is in /instruments).
export {
  BUILTIN_INSTRUMENTS,
  type Contract,
  type ContractStyle,
  contractKey,
  defaultInstruments,
  formatContract,
  frontMonth,
  InstrumentRegistry,
  type InstrumentSpec,
  MONTH_CODES,
  type MonthCode,
  nextContract,
  parseContract,
  type RollRule,
  sameContract,
} from './instruments/index.js';
export {
  type LeaderActivity,
  LeaderMirror,
  type LeaderMirrorOptions,
  LeaderSignalSource,
  type LeaderSignalSourceOptions,
  withLeaderMirror,
} from './leader/index.js';
// Market data for paper and replay (feed-health publishing is in /market-data).
export {
  BaseMarketDataSource,
  type FeedFreshness,
  type FeedHealth,
  type FeedStatusEvent,
  type MarketDataSource,
  type MarketDataSourceOptions,
  type MarketDataState,
  type MarketQuote,
  type MarketTrade,
  markPositionsFrom,
  type PriceMarkable,
  RandomWalkMarketData,
  type RandomWalkOptions,
} from './market-data/index.js';
// The signal model.
export {
  type Bracket,
  type BracketLevel,
  type CancelOrderSignal,
  type Execution,
  type FlattenSignal,
  type IntentBracket,
  type IntentLeg,
  intentId,
  type ModifyOrderSignal,
  type NewOrderSignal,
  type OrderIntent,
  type OrderLeg,
  type OrderType,
  oppositeSide,
  type Position,
  parseSignal,
  type Side,
  type SignalAction,
  type SignalBase,
  type SignalDefaults,
  type TimeInForce,
  type TradeSignal,
} from './model/index.js';
export {
  averageTicksToPrice,
  formatMoney,
  type Money,
  parseMoney,
  priceToTicks,
  priceToTicksRounded,
  type Ticks,
  ticksToPrice,
} from './money/index.js';
// The paper broker and the simulated exchange it (and every broker simulator) trades against.
export {
  createPaperPlugin,
  ExchangeFaults,
  type ExchangeListener,
  type MarketState,
  type PaperAccountSnapshot,
  PaperBroker,
  type PaperBrokerOptions,
  type PaperPluginConfig,
  type PlaceOrderOptions,
  paperConfigSchema,
  paperPlugin,
  type Quote,
  SimulatedExchange,
  type SimulatedExchangeOptions,
} from './paper/index.js';
export { PositionLedger, PositionTracker } from './positions/index.js';
// Replay: one call from a recorded file to a report (its parts are in /replay).
export {
  type AccountReport,
  type EventReport,
  type LatencyReport,
  type ParsedReplay,
  parseReplay,
  type ReplayFormat,
  type ReplayInputError,
  type ReplayOptions,
  type ReplayPriceFeed,
  type ReplayRecord,
  type ReplayReport,
  type ReplayState,
  type ReplayStep,
  type ReportDetail,
  runReplay,
  streamReplay,
} from './replay/index.js';
// Risk outcomes users see in events (the rule checks themselves are in /risk).
export {
  type RiskBlock,
  type RiskDecision,
  RiskReason,
  type TradingWindow,
  type TrailingMode,
} from './risk/index.js';
export type { ReversalMode, RoundingPolicy, WhenZero } from './scaling/index.js';
export type { Logger } from './util/logger.js';
export { silentLogger } from './util/logger.js';
