import { describe, expect, it } from 'vitest';
import { BrokerEventFanout } from '../../src/adapter/index.js';
import type { Logger } from '../../src/index.js';

function recordingLogger(errors: string[]): Logger {
  const logger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error: (_obj, msg) => errors.push(msg ?? ''),
    child: () => logger,
  };
  return logger;
}

describe('BrokerEventFanout', () => {
  it('a throwing listener is logged and the others still get the event; unsubscribe works mid-delivery', () => {
    const errors: string[] = [];
    const fanout = new BrokerEventFanout(recordingLogger(errors), 'test');
    const got: string[] = [];
    const event = { type: 'connection-changed', state: 'connected' } as const;
    fanout.subscribe(() => {
      throw new Error('boom');
    });
    const off = fanout.subscribe(() => {
      got.push('second');
      off();
    });
    fanout.subscribe(() => got.push('third'));
    fanout.emit(event);
    fanout.emit(event);
    expect(got).toEqual(['second', 'third', 'third']);
    expect(errors).toEqual(['test: event listener threw', 'test: event listener threw']);
  });
});
