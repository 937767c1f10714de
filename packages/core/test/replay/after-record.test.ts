import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseEngineConfig, parseReplay, runReplay } from '../../src/index.js';

const examples = join(import.meta.dirname, '../../../../examples');
const records = parseReplay(readFileSync(join(examples, 'signals/session.jsonl'), 'utf8'), 'jsonl').records;
const example = parse(readFileSync(join(examples, 'paper.yaml'), 'utf8')) as Record<string, unknown>;

describe('runReplay afterRecord', () => {
  for (const latencyMs of [35, 0]) {
    it(`sees every record in order and leaves the report as it is (paper latency ${latencyMs} ms)`, async () => {
      const config = parseEngineConfig({
        ...example,
        paper: { latencyMs, jitterMs: latencyMs === 0 ? 0 : 20, seed: 7 },
        services: { journal: { enabled: false } },
      });
      const seen: number[] = [];
      const hooked = await runReplay({ config, records, afterRecord: (r, i) => void seen.push(i, r.line) });
      const plain = await runReplay({ config, records });
      expect(seen).toEqual(records.flatMap((r, i) => [i, r.line]));
      expect(JSON.stringify(hooked)).toBe(JSON.stringify(plain));
    });
  }

  it('with zero latency shows the fills of a market copy at the signal itself', async () => {
    const config = parseEngineConfig({
      ...example,
      paper: { latencyMs: 0 },
      services: { journal: { enabled: false } },
    });
    const first = records.findIndex((r) => r.kind === 'signal');
    let leader = new Map<string, number>();
    let follower = 0;
    await runReplay({
      config,
      records: records.slice(0, first + 1),
      afterRecord: (_r, i, state) => {
        if (i !== first) return;
        leader = state.leaderPositions();
        follower = state.positions('f04-double').reduce((n, p) => n + p.netQty, 0);
      },
    });
    // s-001 buys 2 MNQ at market; f04 copies ×2.
    expect([...leader]).toEqual([['MNQZ25', 2]]);
    expect(follower).toBe(4);
  });
});
