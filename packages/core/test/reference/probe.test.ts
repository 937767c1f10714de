import { it } from 'vitest';
import { formatResult, verify } from './verify.js';

it('probe', async () => {
  const r = await verify({ sessions: Number(process.env.N ?? 30), seed: Number(process.env.S ?? 1), shrink: process.env.SHRINK === '1', features: JSON.parse(process.env.F ?? '{}'), outDir: '/tmp/oracle-ce' });
  console.log(formatResult(r, 1));
}, 600_000);
