#!/usr/bin/env node
import { relaunch, replayRelaunchFlags } from './relaunch.js';

const args = process.argv.slice(2);

async function inProcess(): Promise<void> {
  // Loaded only here: a parent that relaunches stays a bare node process while the child works.
  const { main } = await import('./main.js');
  const code = await main(args, { stdout: process.stdout, stderr: process.stderr });
  // Let stdout drain before exiting: a piped --json report must arrive whole.
  process.stdout.write('', () => process.exit(code));
}

// `replay` runs in a child node process with V8 heap flags that bound its memory (relaunch.ts).
const flags = replayRelaunchFlags(args, process.execArgv, process.env);
if (flags === undefined) await inProcess();
else {
  let ended: Awaited<ReturnType<typeof relaunch>> | undefined;
  try {
    ended = await relaunch(flags);
  } catch {
    // node could not be started again (an unusual install): replay here, with V8's defaults.
    await inProcess();
  }
  // The child's end is this process's: its exit code, or the signal that ended it, raised again.
  if (ended?.signal) process.kill(process.pid, ended.signal);
  else if (ended) process.exit(ended.code ?? 1);
}
