// Preloaded into a benchmarked CLI process (`node --import`): writes the process's peak RSS
// (kB, getrusage's maxrss) and the CPU time it used (ms, user + system) as JSON to the file
// named by TRADENOVA_BENCH_RSS_FILE when it exits.
import { writeFileSync } from 'node:fs';

const file = process.env.TRADENOVA_BENCH_RSS_FILE;
if (file)
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({ maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }),
    );
  });
