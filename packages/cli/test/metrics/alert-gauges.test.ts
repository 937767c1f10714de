import { parseEngineConfig } from '@tradenova/core';
import { describe, expect, it } from 'vitest';
import { RunMetrics } from '../../src/metrics/metrics.js';

const config = parseEngineConfig({
  version: 1,
  leader: { name: 'leader', broker: 'paper', account: 'L' },
  followers: [
    { name: 'f1', broker: 'rithmic', account: 'A1' },
    { name: 'f2', broker: 'paper', account: 'A2' },
  ],
});

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('the gauges the alert rules read', () => {
  it('service degraded follows service-status events; a watched service starts at 0', async () => {
    const m = new RunMetrics(config, { processMetrics: false });
    m.watchService('postgres');
    expect(value(await m.text(), 'tradenova_service_degraded{service="postgres"}')).toBe(0);
    const status = { type: 'service-status', time: 1, where: 'db', service: 'postgres' } as const;
    m.observe({ ...status, state: 'degraded', reason: 'ECONNREFUSED' });
    expect(value(await m.text(), 'tradenova_service_degraded{service="postgres"}')).toBe(1);
    m.observe({ ...status, state: 'ok' });
    expect(value(await m.text(), 'tradenova_service_degraded{service="postgres"}')).toBe(0);
  });

  it('counts reconciliations that found drift, by broker, and not those in line', async () => {
    const m = new RunMetrics(config, { processMetrics: false });
    const line = {
      type: 'position-reconciled',
      time: 1,
      follower: 'f1',
      accountId: 'A1',
      contract: 'MNQZ25',
      tracked: 1,
      ordered: 0,
      policy: 'alert',
    } as const;
    m.observe({ ...line, broker: 2, target: 1 });
    m.observe({ ...line, broker: 1, target: 1 });
    m.observe({ ...line, follower: 'f2', accountId: 'A2', broker: 0, target: 3 });
    const text = await m.text();
    expect(value(text, 'tradenova_drift_detected_total{broker="rithmic"}')).toBe(1);
    expect(value(text, 'tradenova_drift_detected_total{broker="paper"}')).toBe(1);
  });

  it('reads the kill switch at scrape time and keeps the last value when the store does not answer', async () => {
    const m = new RunMetrics(config, { processMetrics: false });
    let answer: () => Promise<boolean> = async () => true;
    m.watchKillSwitch(() => answer());
    expect(value(await m.text(), 'tradenova_kill_switch_engaged')).toBe(1);
    answer = async () => false;
    expect(value(await m.text(), 'tradenova_kill_switch_engaged')).toBe(0);
    answer = () => Promise.reject(new Error('redis away'));
    expect(value(await m.text(), 'tradenova_kill_switch_engaged')).toBe(0);
    answer = async () => true;
    expect(value(await m.text(), 'tradenova_kill_switch_engaged')).toBe(1);
  });

  it('P&L per follower in the account currency, exact from mils', async () => {
    const m = new RunMetrics(config, { processMetrics: false });
    m.watchPnl(() => [{ follower: 'f1', realized: -12_500, unrealized: 3_125 }]);
    const text = await m.text();
    expect(value(text, 'tradenova_follower_pnl{follower="f1",kind="realized"}')).toBe(-12.5);
    expect(value(text, 'tradenova_follower_pnl{follower="f1",kind="unrealized"}')).toBe(3.125);
    expect(text).not.toContain('A1');
  });
});
