import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineEvent } from '@tradenova/core';
import type { Journal } from './journal.js';

/** Where records the journal could not write are kept until it can, relative to the working directory. */
export const DEFAULT_SPILL_DIR = '.tradenova/journal-spill';

const PREFIX = 'journal-spill-';

/**
 * Writes events the database did not take (it was away at shutdown) to a new JSONL file
 * in `dir`. Written to a temporary name and renamed, so a crash mid-write never leaves a
 * half file that would be read back. Returns the file, or undefined when there was nothing.
 */
export async function spillEvents(dir: string, events: readonly EngineEvent[]): Promise<string | undefined> {
  if (events.length === 0) return undefined;
  await mkdir(dir, { recursive: true });
  const name = `${PREFIX}${Date.now()}-${process.pid}.jsonl`;
  const tmp = join(dir, `.${name}.tmp`);
  await writeFile(tmp, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`, { flag: 'wx' });
  await rename(tmp, join(dir, name));
  return join(dir, name);
}

/**
 * Writes every spill file in `dir` to the journal, oldest first, and deletes each once
 * it is committed. Replayed records are idempotent where they have ids (signals,
 * intents, executions), so a file written twice after a crash here does no harm there.
 * Returns how many events were recovered.
 */
export async function recoverSpills(dir: string, journal: Journal): Promise<number> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.startsWith(PREFIX) && n.endsWith('.jsonl')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let count = 0;
  for (const name of names) {
    const path = join(dir, name);
    const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    for (const line of lines) journal.append(JSON.parse(line) as EngineEvent);
    await journal.flush();
    await unlink(path);
    count += lines.length;
  }
  return count;
}
