// One replay through core's `runReplay` alone, in its own process, for replay.bench.mjs: the
// same session (streamed line by line, `--detail summary`) and config as the CLI run, so its
// peak RSS (written by rss-hook.mjs, preloaded) is the engine's share of the CLI's.
//   node --import ./rss-hook.mjs replay-core.mjs <session.jsonl> <config.yaml>
// Prints one JSON line: {"intents", "ms"}.
import { createReadStream, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseEngineConfig, runReplay, streamReplay } from '@tradenova/core';
import { parse as parseYaml } from 'yaml';

const [file, configFile] = process.argv.slice(2);
const config = parseEngineConfig(parseYaml(readFileSync(configFile, 'utf8')));
const t0 = performance.now();
const report = await runReplay({
  config,
  records: streamReplay(
    createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY }),
    {
      onError: () => {},
    },
  ),
  detail: 'summary',
});
const intents = report.accounts.reduce(
  (s, a) => s + a.orders.placed + a.orders.blocked + a.orders.rejected,
  0,
);
console.log(JSON.stringify({ intents, ms: performance.now() - t0 }));
