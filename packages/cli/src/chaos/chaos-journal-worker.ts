// Worker entry (built as dist/chaos-journal-worker.js): reads chaos runs' journals off the main
// thread, whose event loop serves the hosted simulators of the other runs meanwhile. One read
// at a time, in the order asked.
import { parentPort } from 'node:worker_threads';
import { journalFactsAt } from './journal-facts.js';

let chain: Promise<void> = Promise.resolve();
parentPort?.on('message', ({ id, dir }: { id: number; dir: string }) => {
  chain = chain.then(() =>
    journalFactsAt(dir).then(
      (facts) => parentPort?.postMessage({ id, facts }),
      (error: unknown) =>
        parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) }),
    ),
  );
});
