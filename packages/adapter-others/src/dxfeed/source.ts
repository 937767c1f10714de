import type { DXLinkFeed, FeedContract, FeedEventData } from '@dxfeed/dxlink-feed';
import type { DXLinkWebSocketClient } from '@dxfeed/dxlink-websocket-client';
import {
  BaseMarketDataSource,
  type Clock,
  type Contract,
  type InstrumentRegistry,
  type Logger,
  priceToTicksRounded,
  silentLogger,
  systemClock,
} from '@tradenova/core';
import { importOptionalPeer } from '../optional-peer.js';
import { type DxFeedConfig, type DxFeedConfigInput, dxFeedConfigSchema } from './config.js';
import { fromDxFeedSymbol, toDxFeedSymbol } from './symbols.js';

/** The fields we ask for (COMPACT order): only what marking and price checks need. */
export const DXFEED_EVENT_FIELDS = {
  Quote: ['eventType', 'eventSymbol', 'bidPrice', 'askPrice', 'bidSize', 'askSize', 'bidTime', 'askTime'],
  Trade: ['eventType', 'eventSymbol', 'price', 'size', 'time'],
};

/** What the source needs besides its config. */
export interface DxFeedContext {
  instruments: InstrumentRegistry;
  clock?: Clock;
  logger?: Logger;
}

/**
 * dxFeed market data over dxLink, through the official `@dxfeed/dxlink-*` client
 * (loaded on `start()`): one AUTO feed channel, COMPACT data, Quote and Trade for
 * the subscribed contracts. Implements core's `MarketDataSource`.
 */
export class DxFeedMarketData extends BaseMarketDataSource {
  readonly name = 'dxfeed';
  readonly #config: DxFeedConfig;
  readonly #instruments: InstrumentRegistry;
  readonly #logger: Logger;
  #client: DXLinkWebSocketClient | undefined;
  #feed: DXLinkFeed<FeedContract.AUTO> | undefined;

  constructor(config: DxFeedConfigInput | DxFeedConfig, context: DxFeedContext) {
    const parsed = dxFeedConfigSchema.parse(config);
    super({ clock: context.clock ?? systemClock, staleAfterMs: parsed.staleAfterMs });
    this.#config = parsed;
    this.#instruments = context.instruments;
    this.#logger = context.logger ?? silentLogger;
  }

  async start(): Promise<void> {
    const [{ DXLinkWebSocketClient }, feedModule, core] = await importOptionalPeer(
      'the dxFeed market data source',
      ['@dxfeed/dxlink-websocket-client', '@dxfeed/dxlink-feed', '@dxfeed/dxlink-core'],
      () =>
        Promise.all([
          import('@dxfeed/dxlink-websocket-client'),
          import('@dxfeed/dxlink-feed'),
          import('@dxfeed/dxlink-core'),
        ]),
    );
    const client = new DXLinkWebSocketClient({
      keepaliveInterval: this.#config.keepaliveIntervalSeconds,
      keepaliveTimeout: this.#config.keepaliveTimeoutSeconds,
      acceptKeepaliveTimeout: this.#config.keepaliveTimeoutSeconds,
      logLevel: core.DXLinkLogLevel.ERROR,
    });
    this.#client = client;
    client.addConnectionStateChangeListener((state, previous) => {
      if (state === core.DXLinkConnectionState.CONNECTED) this.setState('connected');
      else if (state === core.DXLinkConnectionState.CONNECTING)
        this.setState(previous === core.DXLinkConnectionState.CONNECTED ? 'reconnecting' : 'connecting');
      else this.setState('disconnected');
    });
    client.addErrorListener((error) =>
      this.#logger.warn({ error: error.type, message: error.message }, 'dxfeed error'),
    );
    if (this.#config.token !== undefined) client.setAuthToken(this.#config.token);
    this.setState('connecting');
    client.connect(this.#config.url);
    const feed = new feedModule.DXLinkFeed(client, feedModule.FeedContract.AUTO);
    this.#feed = feed;
    feed.configure({
      acceptAggregationPeriod: this.#config.aggregationPeriodSeconds,
      acceptDataFormat: feedModule.FeedDataFormat.COMPACT,
      acceptEventFields: DXFEED_EVENT_FIELDS,
    });
    feed.addEventListener((events) => this.#onEvents(events));
    const initial = this.subscribed();
    if (initial.length > 0) this.added(initial);
    this.startStalenessTimer();
    await this.#waitConnected();
  }

  async stop(): Promise<void> {
    this.stopStalenessTimer();
    this.#feed?.close();
    this.#client?.close();
    this.#feed = undefined;
    this.#client = undefined;
    this.setState('disconnected');
  }

  protected added(contracts: Contract[]): void {
    this.#feed?.addSubscriptions(this.#subscriptions(contracts));
  }

  protected removed(contracts: Contract[]): void {
    this.#feed?.removeSubscriptions(this.#subscriptions(contracts));
  }

  #subscriptions(contracts: Contract[]) {
    return contracts.flatMap((c) => {
      const symbol = toDxFeedSymbol(c, this.#instruments);
      return [
        { type: 'Quote', symbol },
        { type: 'Trade', symbol },
      ];
    });
  }

  #onEvents(events: FeedEventData[]): void {
    const now = this.clock.now();
    for (const e of events) {
      let contract: Contract;
      try {
        contract = fromDxFeedSymbol(String(e.eventSymbol), this.#instruments);
      } catch {
        continue;
      }
      const tick = this.#instruments.get(contract.root).tickSize;
      const ticks = (v: unknown) => {
        const n = typeof v === 'number' ? v : Number(v);
        // "NaN" means no value (an empty side); a feed price is a double, so round to the tick.
        return Number.isFinite(n) ? priceToTicksRounded(String(n), tick) : undefined;
      };
      if (e.eventType === 'Quote') {
        const quote: Parameters<BaseMarketDataSource['emitQuote']>[0] = { contract, time: now };
        const bid = ticks(e.bidPrice);
        const ask = ticks(e.askPrice);
        if (bid !== undefined) quote.bidTicks = bid;
        if (ask !== undefined) quote.askTicks = ask;
        if (Number.isFinite(Number(e.bidSize))) quote.bidSize = Number(e.bidSize);
        if (Number.isFinite(Number(e.askSize))) quote.askSize = Number(e.askSize);
        this.emitQuote(quote);
      } else if (e.eventType === 'Trade') {
        const price = ticks(e.price);
        if (price === undefined) continue;
        const trade: Parameters<BaseMarketDataSource['emitTrade']>[0] = {
          contract,
          priceTicks: price,
          time: now,
        };
        if (Number.isFinite(Number(e.size))) trade.size = Number(e.size);
        this.emitTrade(trade);
      }
    }
  }

  async #waitConnected(): Promise<void> {
    const deadline = Date.now() + this.#config.connectTimeoutMs;
    while (this.state() !== 'connected') {
      if (Date.now() > deadline)
        throw new Error(
          `dxfeed: no connection to ${this.#config.url} within ${this.#config.connectTimeoutMs} ms`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
