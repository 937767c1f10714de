import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { captureIo } from '../capture-io.js';

function files(config: string, signals: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tn-fatfinger-'));
  writeFileSync(join(dir, 'cfg.yaml'), config);
  writeFileSync(join(dir, 's.jsonl'), signals);
  return { config: join(dir, 'cfg.yaml'), signals: join(dir, 's.jsonl') };
}

const signals = [
  '{"time":"2025-11-24T14:30:00.000Z","type":"quote","instrument":"MNQZ5","bid":"21000.00","ask":"21000.25"}',
  '{"time":"2025-11-24T14:30:01.000Z","type":"quote","instrument":"MNQZ5","bid":"21001.00","ask":"21000.00"}',
  '{"time":"2025-11-24T14:30:05.000Z","signalId":"s1","action":"new","leaderOrderId":"L1","instrument":"MNQZ5","side":"buy","qty":1,"orderType":"market"}',
  '{"time":"2025-11-24T14:30:06.000Z","signalId":"s2","action":"new","leaderOrderId":"L2","instrument":"MNQZ5","side":"buy","qty":1700000000000,"orderType":"market"}',
].join('\n');

describe('replay with hostile sizes and prices', () => {
  it('an equity follower sized far past any sane order is blocked by the default fat-finger cap, with a reason', async () => {
    const f = files(
      `leader:\n  account: L1\nfollowers:\n  - name: eq\n    account: E1\n    scaling: { mode: equity, leaderEquity: 1, followerEquity: 50000 }\n`,
      signals,
    );
    const c = captureIo();
    const code = await main(['replay', f.signals, '-c', f.config, '--json'], c.io);
    const report = JSON.parse(c.stdout());
    const blocked = JSON.stringify(report);
    expect(blocked).toContain('MAX_ORDER_QTY');
    expect(blocked).toMatch(/order qty 50000 exceeds maxOrderQty 1000/);
    // The crossed quote (line 2) and the absurd leader size (line 4) are refused with their line and field.
    expect(report.signals.errors).toEqual([
      expect.objectContaining({ line: 2, field: 'bid' }),
      expect.objectContaining({ line: 4, field: 'qty' }),
    ]);
    const account = report.accounts.find((a: { name: string }) => a.name === 'eq');
    expect(account.positions.every((p: { netQty: number }) => Math.abs(p.netQty) <= 1000)).toBe(true);
    expect(code).toBe(1);
  });
});
