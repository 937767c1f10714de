import { describe, expect, it } from 'vitest';
import { RUN_SERVICES_COMMAND, serviceGate } from './require-service.js';

describe('serviceGate', () => {
  it('runs a suite whose variable is set, with its value', () => {
    expect(serviceGate('kafka', { TRADENOVA_KAFKA_BROKERS: '127.0.0.1:19092' })).toEqual({
      action: 'run',
      value: '127.0.0.1:19092',
    });
  });

  it('skips with the command that would run it when the variable is missing locally', () => {
    const gate = serviceGate('postgres', {});
    expect(gate.action).toBe('skip');
    if (gate.action === 'skip') {
      expect(gate.message).toContain('TRADENOVA_PG_URL');
      expect(gate.message).toContain(RUN_SERVICES_COMMAND);
    }
  });

  it('fails instead of skipping when services are required (CI)', () => {
    const gate = serviceGate('redis', { TRADENOVA_REQUIRE_SERVICES: '1', TRADENOVA_REDIS_URL: ' ' });
    expect(gate.action).toBe('fail');
    if (gate.action === 'fail') expect(gate.message).toContain('TRADENOVA_REDIS_URL');
  });
});
