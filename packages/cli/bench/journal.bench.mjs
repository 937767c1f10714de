// Journal write throughput (rows/s) on PGlite (on disk) and on PostgreSQL (TRADENOVA_PG_URL):
//   node packages/cli/bench/journal.bench.mjs [--events 20000] [--runs 5]
// Each run appends N engine events (one row each) and flushes; the figure is the median run.
// The journal is TypeScript source; esbuild (already installed for tsup) bundles it into
// bench/dist first, keeping third-party packages external so they load from node_modules.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { figure } from '../../../scripts/bench-figures.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { events: { type: 'string', default: '20000' }, runs: { type: 'string', default: '5' } },
});
const events = Number(values.events);
const runs = Number(values.runs);

const outfile = join(here, 'dist', 'journal.mjs');
await build({
  entryPoints: [join(here, '..', 'src', 'services', 'journal', 'index.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  conditions: ['@tradenova/source'],
  logLevel: 'error',
  plugins: [
    {
      name: 'third-party-external',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@tradenova/') ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
});
const { Journal, openJournalDb } = await import(pathToFileURL(outfile).href);

const contract = { root: 'MNQ', month: 'Z', year: 2025 };
function event(i) {
  const accountId = `ACC-${i % 200}`;
  const intent = {
    intentId: `tn${i}-${randomUUID().slice(0, 8)}`,
    signalId: `s-${Math.floor(i / 200)}`,
    follower: `f-${accountId}`,
    broker: 'paper',
    accountId,
    leg: 'entry',
    action: 'place',
    contract,
    side: 'buy',
    qty: 1,
    orderType: 'market',
    reducing: false,
    createdAt: Date.now(),
  };
  return i % 2 === 0
    ? { type: 'intent-created', time: Date.now(), intent }
    : { type: 'order-placed', time: Date.now(), intent, orderId: `o-${i}`, latencyMs: 3 };
}

async function measure(label, openJournal) {
  const rates = [];
  for (let run = 0; run < runs; run++) {
    const journal = await openJournal();
    const list = Array.from({ length: events }, (_, i) => event(i));
    const started = performance.now();
    for (const e of list) journal.append(e);
    const appended = performance.now();
    await journal.flush();
    const seconds = (performance.now() - started) / 1000;
    rates.push(events / seconds);
    if (run === 0) {
      console.error(
        `${label}: append ${(((appended - started) * 1000) / events).toFixed(2)} µs/event, ${journal.batches} transactions`,
      );
    }
    await journal.close();
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  figure(`journal-${label}`, { rowsPerSecond: median, runs, events });
  console.log(
    `journal ${label}: ${Math.round(median).toLocaleString('en-US')} rows/s (median of ${runs} runs of ${events} events)`,
  );
}

const root = await mkdtemp(join(tmpdir(), 'tn-journal-bench-'));
try {
  let n = 0;
  await measure('pglite', async () => Journal.open({ dir: join(root, String(n++)) }));
} finally {
  await rm(root, { recursive: true, force: true });
}

const url = process.env.TRADENOVA_PG_URL;
if (!url) {
  console.log(
    'journal postgres: skipped (TRADENOVA_PG_URL not set; bash scripts/services.sh run node packages/cli/bench/journal.bench.mjs)',
  );
} else {
  const schemas = [];
  try {
    await measure('postgres', async () => {
      const schema = `tn_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      schemas.push(schema);
      return Journal.open({ url, schema, migrate: true });
    });
  } finally {
    const { db } = await openJournalDb({ url });
    const { sql } = await import('kysely');
    for (const schema of schemas) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
  }
}
