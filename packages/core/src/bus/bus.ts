import type { EngineEvent } from './events.js';
import { routeEvent, type TopicName } from './topics.js';

export type EventListener = (event: EngineEvent) => void;

/** Where engine events go: the in-memory bus in one process, Kafka across processes. */
export interface EventBus {
  publish(event: EngineEvent): void;
  /** Listens to every event, or to one topic's. Returns the unsubscribe function. */
  subscribe(listener: EventListener, topic?: TopicName): () => void;
}

/**
 * The in-process bus: synchronous delivery in publish order. A listener that
 * throws is reported to `onListenerError` and does not stop delivery to others.
 */
export class InMemoryBus implements EventBus {
  readonly #all = new Set<EventListener>();
  readonly #byTopic = new Map<TopicName, Set<EventListener>>();
  readonly #onListenerError: (error: unknown, event: EngineEvent) => void;

  constructor(options: { onListenerError?: (error: unknown, event: EngineEvent) => void } = {}) {
    this.#onListenerError = options.onListenerError ?? (() => {});
  }

  publish(event: EngineEvent): void {
    for (const l of this.#all) this.#deliver(l, event);
    if (this.#byTopic.size === 0) return;
    const topicListeners = this.#byTopic.get(routeEvent(event).topic);
    if (topicListeners) for (const l of topicListeners) this.#deliver(l, event);
  }

  subscribe(listener: EventListener, topic?: TopicName): () => void {
    if (topic === undefined) {
      this.#all.add(listener);
      return () => this.#all.delete(listener);
    }
    let set = this.#byTopic.get(topic);
    if (!set) {
      set = new Set();
      this.#byTopic.set(topic, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  #deliver(listener: EventListener, event: EngineEvent): void {
    try {
      listener(event);
    } catch (error) {
      this.#onListenerError(error, event);
    }
  }
}
