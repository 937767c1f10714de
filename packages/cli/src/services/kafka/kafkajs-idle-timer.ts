import { createRequire } from 'node:module';

interface RequestQueueShape {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

let patched: boolean | undefined;

/**
 * kafkajs 2.2.4 re-arms a pending-request check every millisecond on every broker
 * connection once its first request is answered, even with nothing pending and no
 * throttle (tulios/kafkajs#1751, unreleased upstream): about 1,600 timers and 70 ms of
 * CPU per second in an idle process with one producer, and a TimeoutNegativeWarning on
 * Node 24. The check only matters while requests wait or the broker throttles us, so it
 * is skipped otherwise; a request that has to wait calls it again when it is queued.
 * Applied once; a kafkajs whose internals moved is left as it is.
 */
export function skipIdleRequestChecks(): boolean {
  if (patched !== undefined) return patched;
  try {
    const require = createRequire(import.meta.url);
    const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
      prototype: RequestQueueShape;
    };
    const original = RequestQueue.prototype.scheduleCheckPendingRequests;
    patched = typeof original === 'function';
    if (!patched) return false;
    RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueShape) {
      if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
      original.call(this);
    };
  } catch {
    patched = false;
  }
  return patched;
}
