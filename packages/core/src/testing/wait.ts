/**
 * Waiting in tests: poll a check until it yields a value, or wait for one event, with a deadline
 * that fails naming what was awaited and what was last seen. Tests wait on the event that matters
 * instead of sleeping a fixed time, which flakes on a loaded machine.
 */

import { inspect } from 'node:util';

/** How long and how often {@link waitFor} looks, and what it says when it gives up. */
export interface WaitForOptions {
  /** What is awaited, for the failure message ("the fill on follower B"). */
  readonly message?: string;
  /** Milliseconds before giving up (default 5,000). */
  readonly timeout?: number;
  /** Milliseconds between checks (default 20). */
  readonly interval?: number;
  /** More context for the failure message, read once on timeout (a process's output, a log). */
  readonly context?: () => string;
}

/** How long {@link waitForEvent} waits and what it says when it gives up. */
export interface WaitForEventOptions {
  /** What is awaited, for the failure message. */
  readonly message?: string;
  /** Milliseconds before giving up (default 5,000). */
  readonly timeout?: number;
  /** More context for the failure message, read once on timeout. */
  readonly context?: () => string;
}

/** Values that mean "not yet": the check is asked again. */
type NotYet = undefined | null | false | 0 | '';

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_INTERVAL_MS = 20;

/** Thrown when a wait runs out of time; the message names what was awaited and the last value seen. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

function show(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: 120 });
}

function failure(what: string, timeoutMs: number, seen: string, context: (() => string) | undefined): string {
  const extra = context?.() ?? '';
  return `timed out after ${timeoutMs} ms waiting for ${what}; ${seen}${extra ? `\n${extra}` : ''}`;
}

/**
 * Calls `check` until it returns (or resolves to) a truthy value, and resolves with that value.
 * A check that throws is asked again (so `expect(...)` may sit inside it); on timeout the error
 * names `message`, the last value returned and the last error thrown.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, NotYet>> {
  const timeoutMs = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = options.interval ?? DEFAULT_INTERVAL_MS;
  const what = options.message ?? 'the condition';
  const deadline = Date.now() + timeoutMs;
  let seen = 'the check never returned';
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, NotYet>;
      seen = `last value ${show(value)}`;
    } catch (error) {
      seen = `last error ${error instanceof Error ? error.message : show(error)}`;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(failure(what, timeoutMs, seen, options.context));
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Adds a listener and returns the function that removes it (`CopyEngine.on`, `BrokerConnection.onEvent`). */
export type Subscribe<E> = (listener: (event: E) => void) => () => void;

/** A Node `EventEmitter`-like source (sockets, child processes, servers). */
export interface EmitterLike {
  on(name: string, listener: (...args: unknown[]) => void): unknown;
  off(name: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Resolves with the first event that `match` accepts. Call it before the action that causes the
 * event, and await it after. Two forms:
 * - `waitForEvent((l) => engine.on(l), (e) => e.type === 'order-filled', options)` for the
 *   `on(listener) => unsubscribe` sources of @tradenova/core;
 * - `waitForEvent(emitter, 'name', match?, options)` for a Node `EventEmitter` (resolves with the
 *   event's first argument).
 * On timeout the error names `message` and the last event that did not match.
 */
export function waitForEvent<E>(
  subscribe: Subscribe<E>,
  match?: (event: E) => boolean,
  options?: WaitForEventOptions,
): Promise<E>;
export function waitForEvent<E = unknown>(
  emitter: EmitterLike,
  name: string,
  match?: (event: E) => boolean,
  options?: WaitForEventOptions,
): Promise<E>;
export function waitForEvent<E>(source: Subscribe<E> | EmitterLike, ...rest: unknown[]): Promise<E> {
  let subscribe: Subscribe<E>;
  let match: ((event: E) => boolean) | undefined;
  let options: WaitForEventOptions;
  let what: string;
  if (typeof source === 'function') {
    subscribe = source;
    match = rest[0] as ((event: E) => boolean) | undefined;
    options = (rest[1] as WaitForEventOptions | undefined) ?? {};
    what = options.message ?? 'the event';
  } else {
    const name = rest[0] as string;
    const emitter = source;
    subscribe = (listener) => {
      const handler = listener as (...args: unknown[]) => void;
      emitter.on(name, handler);
      return () => emitter.off(name, handler);
    };
    match = rest[1] as ((event: E) => boolean) | undefined;
    options = (rest[2] as WaitForEventOptions | undefined) ?? {};
    what = options.message ?? `the '${name}' event`;
  }
  const timeoutMs = options.timeout ?? DEFAULT_TIMEOUT_MS;
  return new Promise<E>((resolve, reject) => {
    let seen = 'no event seen';
    let settled = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (): void => {
      settled = true;
      clearTimeout(timer);
      unsubscribe?.();
    };
    const timer = setTimeout(() => {
      finish();
      reject(new WaitTimeoutError(failure(what, timeoutMs, seen, options.context)));
    }, timeoutMs);
    unsubscribe = subscribe((event) => {
      if (settled) return;
      let accepted: boolean;
      try {
        accepted = match ? match(event) : true;
      } catch (error) {
        finish();
        reject(error);
        return;
      }
      if (accepted) {
        finish();
        resolve(event);
      } else {
        seen = `last event not matching ${show(event)}`;
      }
    });
    // A source that emitted synchronously while subscribing has already settled us.
    if (settled) unsubscribe();
  });
}
