import { randomUUID } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file in a stack's data directory naming the default tuning `mlops up` started and did not see end. */
export const PENDING_TUNING_FILE = 'default-tuning-id';

/**
 * How long a pending id is reused: the trainer forgets a tuning id after 7 days, and a request under a forgotten id
 * would run again while `mlops tune` found the old one's end in the 30-day stream.
 */
const REUSE_FOR_MS = 6 * 24 * 3600_000;

/**
 * The id of the default tuning an earlier `mlops up` on this data directory started and did not see end (it was
 * stopped during it: the trainer still runs it, and a request under the same id follows it); else a new id.
 */
export async function defaultTuningId(dataDir: string, now = Date.now()): Promise<string> {
  const file = join(dataDir, PENDING_TUNING_FILE);
  const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]).catch(() => [undefined, undefined]);
  const id = text?.trim();
  const fresh = info !== undefined && now - info.mtimeMs < REUSE_FOR_MS;
  if (id !== undefined && fresh && /^mlops-up-[0-9a-f]{8}$/.test(id)) return id;
  return `mlops-up-${randomUUID().slice(0, 8)}`;
}

/** Records the default tuning under way (its user's alone, as every file of the stack); false when it cannot. */
export async function recordPendingTuning(dataDir: string, id: string): Promise<boolean> {
  return await writeFile(join(dataDir, PENDING_TUNING_FILE), `${id}\n`, { mode: 0o600 }).then(
    () => true,
    () => false,
  );
}

/** Forgets the pending default tuning once `mlops up` saw it end: the next start tunes anew if nothing is served. */
export async function clearPendingTuning(dataDir: string): Promise<void> {
  await rm(join(dataDir, PENDING_TUNING_FILE), { force: true });
}
