// Preloaded into a benchmarked CLI process (`node --import`): appends one JSON line with the
// process's pid, peak RSS (kB, getrusage's maxrss) and the CPU time it used (ms, user + system)
// to the file named by TRADENOVA_BENCH_RSS_FILE when it exits. `tradenova replay` relaunches
// itself with heap flags and its node options (this preload included), so a replay writes two
// lines, the parent's and the child's: `readUsage` takes the largest peak RSS and the summed CPU.
import { appendFileSync, readFileSync } from 'node:fs';

const file = process.env.TRADENOVA_BENCH_RSS_FILE;
if (file)
  process.on('exit', () => {
    const u = process.resourceUsage();
    appendFileSync(
      file,
      `${JSON.stringify({ pid: process.pid, execArgv: process.execArgv, maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, userMs: u.userCPUTime / 1000 })}\n`,
    );
  });

/** What the processes that wrote `file` used together: the largest peak RSS, the summed CPU time. */
export function readUsage(file) {
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
  return {
    processes: rows.length,
    maxRssKb: Math.max(...rows.map((r) => r.maxRssKb)),
    cpuMs: rows.reduce((s, r) => s + r.cpuMs, 0),
    userMs: rows.reduce((s, r) => s + r.userMs, 0),
    // The V8 heap flags the replay ran with (the relaunched child's), to run a comparison alike.
    heapFlags: [
      ...new Set(
        rows.flatMap((r) =>
          r.execArgv.filter((a) => /^--(max-semi-space-size|heap-growing-percent)/.test(a)),
        ),
      ),
    ],
  };
}
