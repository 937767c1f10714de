#!/usr/bin/env node
// Makes a big replay session for benchmarks: the example session repeated with new ids and times.
//   node scripts/make-session.mjs --lines 1000000 --out /tmp/session-1m.jsonl [--from examples/signals/session.jsonl]
// Each copy keeps the example's spacing and starts 5 minutes after the previous copy's last line;
// signal and leader order ids get the copy's number (`s-001` → `s-001.7`), so modifies and cancels
// still name their own leader order. Written as it goes: memory stays flat at any size.
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '100000' },
    out: { type: 'string' },
    from: { type: 'string', default: new URL('../examples/signals/session.jsonl', import.meta.url).pathname },
  },
});
const want = Number(values.lines);
if (!Number.isInteger(want) || want <= 0) {
  console.error(`make-session: --lines must be a positive integer, got ${values.lines}`);
  process.exit(2);
}
if (!values.out) {
  console.error('make-session: --out FILE is required');
  process.exit(2);
}

const template = readFileSync(values.from, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('//'))
  .map((l) => JSON.parse(l));
const timeOf = (r) => (typeof r.time === 'number' ? r.time : Date.parse(r.time));
const first = timeOf(template[0]);
const span = timeOf(template.at(-1)) - first + 5 * 60_000;

const out = createWriteStream(values.out);
let written = 0;
for (let copy = 0; written < want; copy++) {
  for (const record of template) {
    if (written === want) break;
    const line = { ...record, time: new Date(timeOf(record) + copy * span).toISOString() };
    if (typeof line.signalId === 'string') line.signalId = `${line.signalId}.${copy}`;
    if (typeof line.leaderOrderId === 'string') line.leaderOrderId = `${line.leaderOrderId}.${copy}`;
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
    written++;
  }
}
out.end();
await once(out, 'finish');
console.error(`make-session: ${written.toLocaleString('en-US')} lines → ${values.out}`);
