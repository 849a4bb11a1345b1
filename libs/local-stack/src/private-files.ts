import { mkdir, open, stat } from 'node:fs/promises';

// A stack's data directory holds models, data sets (live customer rows with labels), logs and test secrets: what the
// stack creates there is for its user alone.

/** The mode of every directory the stack creates: its owner's alone. */
export const PRIVATE_DIR_MODE = 0o700;

/** The mode of every file the stack writes or appends to (state file, logs, MLflow's database, basic_auth.ini). */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` and its missing parents with {@link PRIVATE_DIR_MODE}. A directory that exists keeps its mode (the
 * user's choice): resolves with that mode when other users may enter it, else undefined.
 */
export async function makePrivateDir(dir: string): Promise<number | undefined> {
  return (await createPrivateDir(dir)).openMode;
}

/**
 * As {@link makePrivateDir}, telling also the first directory it created (`dir` or a missing parent; undefined when
 * `dir` existed), which is what to remove to leave the file system as it was.
 */
export async function createPrivateDir(
  dir: string,
): Promise<{ readonly created: string | undefined; readonly openMode: number | undefined }> {
  const created = await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (created !== undefined) return { created, openMode: undefined };
  const mode = (await stat(dir)).mode & 0o777;
  return { created: undefined, openMode: (mode & 0o077) === 0 ? undefined : mode };
}

/** Creates `file` empty with {@link PRIVATE_FILE_MODE}, or sets that mode on the file an earlier run left (kept as is). */
export async function makePrivateFile(file: string): Promise<void> {
  const handle = await open(file, 'a', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
  } finally {
    await handle.close();
  }
}

/** Writes `text` to `file` with {@link PRIVATE_FILE_MODE}, replacing its content; the mode is set before the text lands. */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  const handle = await open(file, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

/**
 * Prepares a process's log file (see {@link makePrivateFile}) when there is one. A log that cannot be made is no
 * reason to keep a process from starting or restarting: the supervisor then says it cannot write it, and goes on.
 */
export async function preparePrivateLog(file: string | undefined): Promise<void> {
  if (file !== undefined) await makePrivateFile(file).catch(() => undefined);
}
