import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { decodeCsvBytes } from '@mlops/ml';
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

/** Resolves a request's CSV path inside the data directory, refusing anything that escapes it. */
export function resolveDatasetPath(dataDir: string, path: string): string {
  const full = resolve(dataDir, path);
  const inside = relative(dataDir, full);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new DatasetFileError(path, `must be a file inside the trainer data directory ${dataDir}`);
  }
  return full;
}

/** Checks at intake that the CSV exists, so a bad path is rejected before anything is trained. */
export async function checkDatasetFile(dataDir: string, path: string): Promise<void> {
  const full = resolveDatasetPath(dataDir, path);
  const info = await stat(full).catch((err: unknown) => {
    throw new DatasetFileError(path, `not found in ${dataDir}`, { cause: err });
  });
  if (!info.isFile()) throw new DatasetFileError(path, 'is not a regular file');
}

/**
 * The trainer's CSV loader: reads a file inside the data directory, its text (libs/ml parses it) and its SHA-256.
 * With `snapshots.keep`, the bytes read are also kept by their digest (the replica that opens a tuning), so that
 * with `snapshots.read` a trial's loader answers with the pinned bytes when the file here changed since, or is
 * missing. Without a snapshot the file's own error stands (loadPinnedCsv refuses a file whose digest differs).
 */
export function csvFilesLoader(dataDir: string, snapshots: Partial<DatasetSnapshots> = {}): CsvLoader {
  return async (path, digest) => {
    const full = resolveDatasetPath(dataDir, path);
    const source = `file://${full}`;
    const read = await readFile(full).then(
      (bytes) => ({ bytes, sha256: sha256Hex(bytes) }),
      // The intake found it: a replica that cannot read it now may lack the shared data directory.
      (err: unknown) =>
        new DatasetFileError(path, `cannot be read on this replica (${codeOf(err)})`, {
          cause: err,
          readableElsewhere: true,
        }),
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

/** SHA-256 (hex) of a data-directory file's bytes, streamed: the intake checks a pinned digest before queueing. */
export async function datasetFileSha256(dataDir: string, path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(resolveDatasetPath(dataDir, path))) hash.update(chunk as Buffer);
  } catch (err) {
    if (err instanceof DatasetFileError) throw err;
    throw new DatasetFileError(path, 'cannot be read', { cause: err });
  }
  return hash.digest('hex');
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
export async function readCsvHeader(dataDir: string, path: string): Promise<string[] | undefined> {
  const handle = await open(resolveDatasetPath(dataDir, path), 'r');
  try {
    const buffer = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    const text = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    // Blank lines before the header are skipped, as the worker's reader and pandas skip them.
    const start = text.search(/[^\s]/);
    if (start < 0) return undefined;
    const lineStart = text.lastIndexOf('\n', start) + 1;
    const end = text.indexOf('\n', lineStart);
    const line = text.slice(lineStart, end);
    if (end < 0 || line.includes('"')) return undefined;
    return line
      .replace(/\r$/, '')
      .split(',')
      .map((name) => name.trim());
  } finally {
    await handle.close();
  }
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
