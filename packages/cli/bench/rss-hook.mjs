// Preloaded into a benchmarked CLI process (`node --import`): writes the process's peak RSS
// (kB, getrusage's maxrss) to the file named by TRADENOVA_BENCH_RSS_FILE when it exits.
import { writeFileSync } from 'node:fs';

const file = process.env.TRADENOVA_BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
