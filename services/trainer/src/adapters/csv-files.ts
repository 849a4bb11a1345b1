import { constants as bufferConstants } from 'node:buffer';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { type CsvDelimiter, decodeCsvBytes } from '@mlops/ml';
import { type CsvLoader, UnusableDataError } from '../domain/dataset.js';
import type { DatasetSnapshots } from '../domain/ports.js';

/** Thrown when a request names a CSV outside the data directory or one that cannot be read. */
export class DatasetFileError extends UnusableDataError {
  readonly path: string;
  constructor(path: string, reason: string, options?: ErrorOptions & { readonly readableElsewhere?: boolean }) {
    super(`dataset ${JSON.stringify(path)}: ${reason}`, options);
    this.path = path;
  }
}

/**
 * The largest CSV the trainer reads, in bytes: its text must fit one JavaScript string (about 512 MiB) to be parsed
 * at all. A larger file is refused before it is read, at intake and by every replica that reads it.
 */
export const MAX_CSV_BYTES = bufferConstants.MAX_STRING_LENGTH;

/** Resolves a request's CSV path inside the data directory, refusing anything that escapes it. */
export function resolveDatasetPath(dataDir: string, path: string): string {
  const full = resolve(dataDir, path);
  if (!isInside(dataDir, full)) {
    throw new DatasetFileError(path, `must be a file inside the trainer data directory ${dataDir}`);
  }
  return full;
}

/** Checks at intake that the CSV can be opened and read, so a bad path is rejected before anything is trained. */
export async function checkDatasetFile(dataDir: string, path: string): Promise<void> {
  await withDatasetFile(dataDir, path, async () => undefined).catch(
    refused(path, (err) => (codeOf(err) === 'ENOENT' ? `not found in ${dataDir}` : `cannot be read (${codeOf(err)})`)),
  );
}

/**
 * The trainer's CSV loader: reads a file inside the data directory, its text (libs/ml parses it) and its SHA-256.
 * With `snapshots.keep`, the bytes read are also kept by their digest (the replica that opens a tuning), so that
 * with `snapshots.read` a trial's loader answers with the pinned bytes when the file here changed since, or is
 * missing. Without a snapshot the file's own error stands (loadPinnedCsv refuses a file whose digest differs).
 */
export function csvFilesLoader(dataDir: string, snapshots: Partial<DatasetSnapshots> = {}): CsvLoader {
  return async (path, digest) => {
    const source = `file://${resolveDatasetPath(dataDir, path)}`;
    const read = await readDatasetFile(dataDir, path).then(
      (bytes) => ({ bytes, sha256: sha256Hex(bytes) }),
      (err: unknown) => err as Error,
    );
    if (!(read instanceof Error) && (digest === undefined || read.sha256 === digest)) {
      await snapshots.keep?.(read.sha256, read.bytes);
      return { text: decodeCsvBytes(read.bytes, path), source, sha256: read.sha256 };
    }
    const kept = digest === undefined ? undefined : await snapshots.read?.(digest);
    if (kept !== undefined && sha256Hex(kept) === digest) {
      return { text: decodeCsvBytes(kept, path), source, sha256: digest };
    }
    if (read instanceof Error) throw read;
    return { text: decodeCsvBytes(read.bytes, path), source, sha256: read.sha256 };
  };
}

/**
 * A CSV's bytes, for the loader. The intake found the file: a replica that cannot read it now may lack the shared
 * data directory, so a failure of the file system is marked readable elsewhere (a refusal is not).
 */
function readDatasetFile(dataDir: string, path: string): Promise<Buffer> {
  return withDatasetFile(dataDir, path, (handle) => readWhole(handle, path)).catch(
    refused(path, (err) => `cannot be read on this replica (${codeOf(err)})`, { readableElsewhere: true }),
  );
}

/** SHA-256 (hex) of a data-directory file's bytes, streamed: the intake checks a pinned digest before queueing. */
export async function datasetFileSha256(dataDir: string, path: string): Promise<string> {
  const hashed = withDatasetFile(dataDir, path, async (handle) => {
    const hash = createHash('sha256');
    for await (const chunk of chunksOf(handle, path)) hash.update(chunk);
    return hash.digest('hex');
  });
  return await hashed.catch(refused(path, () => 'cannot be read'));
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const HEADER_BYTES = 64 * 1024;

/**
 * The column names of a CSV's header row, read from its first 64 KiB (the intake checks a request's target and
 * column overrides against them before accepting it); undefined when the header is quoted or longer than that, and
 * the worker then checks it with the whole file.
 */
export async function readCsvHeader(
  dataDir: string,
  path: string,
  delimiter: CsvDelimiter = ',',
): Promise<string[] | undefined> {
  return withDatasetFile(dataDir, path, async (handle) => {
    const buffer = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    return headerOf(buffer.subarray(0, bytesRead).toString('utf8'), delimiter);
  });
}

function headerOf(start: string, delimiter: CsvDelimiter): string[] | undefined {
  const text = start.replace(/^\uFEFF/, '');
  // Blank lines before the header are skipped, as the worker's reader and pandas skip them.
  const first = text.search(/[^\s]/);
  if (first < 0) return undefined;
  const lineStart = text.lastIndexOf('\n', first) + 1;
  const end = text.indexOf('\n', lineStart);
  const line = text.slice(lineStart, end);
  if (end < 0 || line.includes('"')) return undefined;
  return line
    .replace(/\r$/, '')
    .split(delimiter)
    .map((name) => name.trim());
}

/** Runs `use` on a request's CSV opened by {@link openDatasetFile}, and closes it. */
async function withDatasetFile<T>(dataDir: string, path: string, use: (handle: FileHandle) => Promise<T>): Promise<T> {
  const handle = await openDatasetFile(dataDir, path);
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}

/** Read only; a FIFO opens without waiting for a writer; the real path's last part is not followed if swapped for a link. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/**
 * Opens a request's CSV, checked on the handle it is read from: its real path inside the real data directory (a link
 * inside it may lead anywhere inside it), a regular file (a FIFO would block a read, a device may never end), at
 * most MAX_CSV_BYTES. A refusal is a DatasetFileError that names neither where a link leads nor what the file holds;
 * failures of the file system are thrown as they are.
 */
async function openDatasetFile(dataDir: string, path: string): Promise<FileHandle> {
  const full = resolveDatasetPath(dataDir, path);
  const [realDir, real] = await Promise.all([realpath(dataDir), realpath(full)]);
  if (!isInside(realDir, real)) throw linksOutside(dataDir, path);
  const handle = await open(real, OPEN_FLAGS).catch((err: unknown) => {
    // O_NOFOLLOW: the file became a link since its real path was read (swapped in): refused as a link leading out.
    throw (err as NodeJS.ErrnoException).code === 'ELOOP' ? linksOutside(dataDir, path) : err;
  });
  try {
    await checkOpened(handle, realDir, dataDir, path);
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Refuses an opened CSV that is no regular file, is too large, or (swapped since its path was checked) lies outside. */
async function checkOpened(handle: FileHandle, realDir: string, dataDir: string, path: string): Promise<void> {
  const info = await handle.stat();
  if (!info.isFile()) throw new DatasetFileError(path, 'is not a regular file');
  if (info.size > MAX_CSV_BYTES) throw tooLarge(path);
  const opened = await openedPath(handle);
  if (opened !== undefined && !isInside(realDir, opened)) throw linksOutside(dataDir, path);
}

/** Where an opened file is (Linux: /proc/self/fd), whatever its path became since; undefined where that cannot be told. */
function openedPath(handle: FileHandle): Promise<string | undefined> {
  return readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
}

function linksOutside(dataDir: string, path: string): DatasetFileError {
  return new DatasetFileError(
    path,
    `must be a file inside the trainer data directory ${dataDir} (it links outside it)`,
  );
}

function tooLarge(path: string): DatasetFileError {
  return new DatasetFileError(path, `is larger than ${MAX_CSV_BYTES} bytes, the most the trainer reads of a data set`);
}

/** Whether `full` lies below `dir`: its relative path neither climbs out by a `..` segment nor is absolute. */
function isInside(dir: string, full: string): boolean {
  const inside = relative(dir, full);
  const climbsOut = inside === '..' || inside.startsWith(`..${sep}`);
  return inside !== '' && !climbsOut && !isAbsolute(inside);
}

/** Bytes read from a CSV at once. */
const READ_CHUNK_BYTES = 1024 ** 2;

/** A file's bytes from `start`, chunk by chunk; refused once they pass MAX_CSV_BYTES (it grew since it was opened). */
async function* chunksOf(handle: FileHandle, path: string, start = 0): AsyncGenerator<Buffer> {
  for (let total = start; ; ) {
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK_BYTES, total);
    if (bytesRead === 0) return;
    total += bytesRead;
    if (total > MAX_CSV_BYTES) throw tooLarge(path);
    yield chunk.subarray(0, bytesRead);
  }
}

/** A file's bytes into one buffer of its size (one copy in memory), then whatever it grew by since it was opened. */
async function readWhole(handle: FileHandle, path: string): Promise<Buffer> {
  const { size } = await handle.stat();
  const whole = Buffer.allocUnsafe(size);
  let total = 0;
  while (total < size) {
    const { bytesRead } = await handle.read(whole, total, size - total, total);
    if (bytesRead === 0) return whole.subarray(0, total); // it shrank
    total += bytesRead;
  }
  const grown: Buffer[] = [];
  for await (const chunk of chunksOf(handle, path, total)) grown.push(chunk);
  return grown.length === 0 ? whole : Buffer.concat([whole, ...grown]);
}

/** Passes a refusal on as it is; a failure of the file system becomes a DatasetFileError saying `reason`. */
function refused(
  path: string,
  reason: (err: unknown) => string,
  options: { readonly readableElsewhere?: boolean } = {},
) {
  return (err: unknown): never => {
    if (err instanceof DatasetFileError) throw err;
    throw new DatasetFileError(path, reason(err), { ...options, cause: err });
  };
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
