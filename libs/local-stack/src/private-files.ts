import { constants, type Stats } from 'node:fs';
import { access, lstat, mkdir, open, rmdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UnusableDirError } from './errors.js';

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
 * `dir` existed), which is what to remove to leave the file system as it was. The missing directories are made one
 * by one, top down (a recursive mkdir spins forever where a file system refuses with ENOENT, as /proc does); one that
 * cannot be made or used is an {@link UnusableDirError} saying why, and what was made before it is removed again.
 */
export async function createPrivateDir(
  dir: string,
): Promise<{ readonly created: string | undefined; readonly openMode: number | undefined }> {
  const path = resolve(dir);
  const made: string[] = [];
  try {
    for (const part of await missingDirs(path)) if (await makeOneDir(path, part)) made.push(part);
  } catch (err) {
    for (const part of made.reverse()) await rmdir(part).catch(() => undefined);
    throw err;
  }
  if (made.length > 0) return { created: made[0], openMode: undefined };
  return { created: undefined, openMode: await openModeOf(path) };
}

/** The directories missing on the way to `path`, top down; refused when the deepest existing one is no directory. */
async function missingDirs(path: string): Promise<string[]> {
  const missing: string[] = [];
  for (let current = path; ; current = dirname(current)) {
    const stats = await statIfThere(path, current);
    if (stats?.isDirectory() === true) return missing.reverse();
    if (stats !== undefined) throw new UnusableDirError(path, notADirectory(path, current, stats.isFile()));
    if (dirname(current) === current) throw new UnusableDirError(path, `${current} does not exist`);
    missing.push(current);
  }
}

/** What `current` (on the way to `path`) is; undefined when it is not there (nor, below a file, can be). */
async function statIfThere(path: string, current: string): Promise<Stats | undefined> {
  try {
    return await stat(current);
  } catch (err) {
    const { code } = err as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined; // ENOTDIR: a file above it
    const reason =
      code === 'EACCES'
        ? `permission denied: you cannot enter ${await deepestVisible(current)}`
        : reasonOf(err as NodeJS.ErrnoException, dirname(current));
    throw new UnusableDirError(path, reason, { cause: err });
  }
}

/** The deepest parent of `path` its user can look up: the one it cannot enter, when looking up `path` is denied. */
async function deepestVisible(path: string): Promise<string> {
  let dir = dirname(path);
  while (dirname(dir) !== dir && !(await isThere(dir))) dir = dirname(dir);
  return dir;
}

/** Whether `path` can be looked up (exists, its parents entered). */
function isThere(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Makes `part` (on the way to `path`) alone; false when another process made it meanwhile. */
async function makeOneDir(path: string, part: string): Promise<boolean> {
  const failure = await mkdir(part, { mode: PRIVATE_DIR_MODE }).then(
    () => undefined,
    (err: NodeJS.ErrnoException) => err,
  );
  if (failure === undefined) return true;
  if (failure.code !== 'EEXIST') throw new UnusableDirError(path, reasonOf(failure, dirname(part)), { cause: failure });
  if (await isDirectory(part)) return false;
  const there = await lstat(part);
  const what = there.isSymbolicLink()
    ? `${part === path ? 'it' : part} is a symbolic link to no directory`
    : notADirectory(path, part, there.isFile());
  throw new UnusableDirError(path, what);
}

/** Whether `path` is a directory, or a symbolic link to one. */
function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}

/** The mode of the existing directory `path` when other users may enter it; refused when its user cannot write it. */
async function openModeOf(path: string): Promise<number | undefined> {
  await access(path, constants.W_OK | constants.X_OK).catch((err: NodeJS.ErrnoException) => {
    throw new UnusableDirError(path, 'permission denied: it is not writable by you', { cause: err });
  });
  const mode = (await stat(path)).mode & 0o777;
  return (mode & 0o077) === 0 ? undefined : mode;
}

/** "it is a file, not a directory" (`found` is `path`), else naming `found`, the file in the way. */
function notADirectory(path: string, found: string, isFile: boolean): string {
  return `${found === path ? 'it' : found} is ${isFile ? 'a file, ' : ''}not a directory`;
}

/** Why a directory could not be made in (or a path looked up under) `parent`, in words. */
function reasonOf(err: NodeJS.ErrnoException, parent: string): string {
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied: you cannot create directories in ${parent}`;
    case 'ENOENT': // the parent exists, yet the file system refuses (/proc)
      return `cannot create directories here: ${parent} takes no new ones`;
    case 'EROFS':
      return `${parent} is on a read-only file system`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `no space left (or over quota) on the file system of ${parent}`;
    case 'ENAMETOOLONG':
      return 'the path or a name in it is too long';
    case 'ELOOP':
      return 'too many symbolic links on the way to it (a loop?)';
    case 'ENOTDIR':
      return `${parent} is not a directory`;
    default:
      return err.message;
  }
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
