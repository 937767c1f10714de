import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from '../../errors.js';

/**
 * An exclusive lock on the embedded journal's directory: PGlite is one process's
 * database, and two processes writing one data directory would corrupt it. The lock
 * is a `<dir>.lock` file holding the owner's pid; a lock whose process is gone is stale
 * and taken over. Returns the release function.
 */
export function lockJournalDir(dir: string): () => void {
  const path = `${dir}.lock`;
  // A pid equal to ours in the file is a crashed earlier run that had our pid (containers
  // reuse low pids), so the file alone cannot catch a second open in this process.
  if (heldHere.has(path)) throw new CliError(`the embedded journal ${dir} is already open in this process`);
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(path);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldHere.delete(path);
        try {
          unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new CliError(
          `the embedded journal ${dir} is in use by process ${owner}; give each process its own services.journal.url (or --journal), or use a postgres:// journal shared by all`,
        );
      }
      unlinkSync(path);
    }
  }
  throw new CliError(`could not lock the embedded journal ${dir} (${path} keeps coming back)`);
}

const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
