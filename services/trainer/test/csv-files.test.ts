import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDatasetFile,
  csvFilesLoader,
  DatasetFileError,
  datasetFileSha256,
  MAX_CSV_BYTES,
  readCsvHeader,
} from '../src/adapters/csv-files.js';

let dataDir: string;
// A BOM and "café" in UTF-8, CRLF line ends: the text keeps every byte, and the digest is of the bytes.
const bytes = Buffer.from('\uFEFFname,y\r\ncafé,1\r\n');
const expected = createHash('sha256').update(bytes).digest('hex');
// "café" in Latin-1: not UTF-8.
const latin1 = Buffer.concat([Buffer.from('name,y\ncaf'), Buffer.from([0xe9]), Buffer.from(',1\n')]);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'trainer-csv-files-'));
  await writeFile(join(dataDir, 'utf8.csv'), bytes);
  await writeFile(join(dataDir, 'latin1.csv'), latin1);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the SHA-256 of a data set file', () => {
  it("when the loader reads a file, then its digest is of the file's bytes, as the streamed intake digest", async () => {
    const loaded = await csvFilesLoader(dataDir)('utf8.csv');
    expect(loaded.sha256).toBe(expected);
    expect(loaded.text).toBe(bytes.toString('utf8'));
    expect(loaded.source).toBe(`file://${join(dataDir, 'utf8.csv')}`);
    expect(await datasetFileSha256(dataDir, 'utf8.csv')).toBe(expected);
  });

  it('when the file is not UTF-8, then the loader refuses it naming the line and the byte', async () => {
    await expect(csvFilesLoader(dataDir)('latin1.csv')).rejects.toThrow(
      'latin1.csv:2: byte 0xe9 after "caf" is not UTF-8: save the file as UTF-8',
    );
    expect(await datasetFileSha256(dataDir, 'latin1.csv')).toBe(createHash('sha256').update(latin1).digest('hex'));
  });

  it('when the file is missing or outside the data directory, then the streamed digest says so naming the path', async () => {
    await expect(datasetFileSha256(dataDir, 'missing.csv')).rejects.toThrow(DatasetFileError);
    await expect(datasetFileSha256(dataDir, 'missing.csv')).rejects.toThrow('dataset "missing.csv": cannot be read');
    await expect(datasetFileSha256(dataDir, '../x.csv')).rejects.toThrow(/inside the trainer data directory/);
  });
});

describe('the header the intake checks a request against', () => {
  it.each([
    ['a plain header', 'age,income,label\n1,2,0\n', ['age', 'income', 'label']],
    [
      'blank lines before it (skipped, as the worker and pandas skip them)',
      '\n \r\nage,label\n1,0\n',
      ['age', 'label'],
    ],
    ['a BOM and CRLF', '\uFEFFage ,label\r\n1,0\r\n', ['age', 'label']],
    ['blank lines, then a BOM-less header', '\r\n\nage,label\n1,0\n', ['age', 'label']],
    ['a quoted header (left to the worker)', '"age",label\n1,0\n', undefined],
    ['nothing but blank lines', '\n\n', undefined],
  ])('when the file has %s, then the header is read as such', async (_, text, header) => {
    await writeFile(join(dataDir, 'header.csv'), text);
    expect(await readCsvHeader(dataDir, 'header.csv')).toEqual(header);
  });
});

describe('dataset snapshots: every trial reads the bytes its tuning pinned', () => {
  const edited = Buffer.from('name,y\nthé,0\n');
  const editedDigest = createHash('sha256').update(edited).digest('hex');

  /** A snapshot store in memory (the bus's object store in the service), recording what it was asked. */
  function memorySnapshots(initial: Record<string, Uint8Array> = {}) {
    const kept = new Map(Object.entries(initial));
    const reads: string[] = [];
    return {
      kept,
      reads,
      keep: async (digest: string, b: Uint8Array) => void kept.set(digest, b),
      read: async (digest: string) => {
        reads.push(digest);
        return kept.get(digest);
      },
    };
  }

  it('when the replica opening a tuning reads its CSV, then the bytes are kept under their digest', async () => {
    const snapshots = memorySnapshots();
    await csvFilesLoader(dataDir, snapshots)('utf8.csv');
    expect([...snapshots.kept.keys()]).toEqual([expected]);
    expect(Buffer.from(snapshots.kept.get(expected)!).equals(bytes)).toBe(true);
  });

  it('when the file was edited since it was pinned, then the snapshot of the pinned bytes is read', async () => {
    await writeFile(join(dataDir, 'edited.csv'), edited);
    const snapshots = memorySnapshots({ [expected]: bytes });
    const loaded = await csvFilesLoader(dataDir, snapshots)('edited.csv', expected);
    expect(loaded).toEqual({
      text: bytes.toString('utf8'),
      source: `file://${join(dataDir, 'edited.csv')}`,
      sha256: expected,
    });
    // The file matching its pin is read from disk: no snapshot asked for.
    await csvFilesLoader(dataDir, snapshots)('edited.csv', editedDigest);
    expect(snapshots.reads).toEqual([expected]);
  });

  it('when the file is missing on this replica, then the snapshot is read; without one the read error stands', async () => {
    const snapshots = memorySnapshots({ [expected]: bytes });
    expect((await csvFilesLoader(dataDir, snapshots)('gone.csv', expected)).text).toBe(bytes.toString('utf8'));
    const none = csvFilesLoader(dataDir, memorySnapshots())('gone.csv', expected);
    await expect(none).rejects.toThrow(DatasetFileError);
    await expect(none).rejects.toThrow(/cannot be read on this replica \(ENOENT\)/);
  });

  it('when no snapshot has the pinned bytes, or one holds other bytes, then the file as it is comes back (its digest differs)', async () => {
    await writeFile(join(dataDir, 'edited.csv'), edited);
    const absent = await csvFilesLoader(dataDir, memorySnapshots())('edited.csv', expected);
    expect(absent.sha256).toBe(editedDigest);
    const corrupt = await csvFilesLoader(dataDir, memorySnapshots({ [expected]: edited }))('edited.csv', expected);
    expect(corrupt.sha256).toBe(editedDigest);
  });

  it('when the snapshot store cannot be asked, then the loader fails (the trial is tried again), not the file', async () => {
    await writeFile(join(dataDir, 'edited.csv'), edited);
    const read = async () => {
      throw new Error('NATS is away');
    };
    await expect(csvFilesLoader(dataDir, { read })('edited.csv', expected)).rejects.toThrow('NATS is away');
  });
});

describe('the data directory: nothing outside it is read, whatever the path leads to', () => {
  // A file outside the data directory whose first line must never come back in an error (a header check once
  // echoed it as the columns).
  const secret = 'root:x:0:0:secret-line:/root:/bin/bash\n';
  let outside: string;
  let home: string;

  beforeAll(async () => {
    outside = await mkdtemp(join(tmpdir(), 'trainer-outside-'));
    home = await mkdtemp(join(tmpdir(), 'trainer-confined-'));
    await writeFile(join(outside, 'passwd'), secret);
    await symlink(join(outside, 'passwd'), join(home, 'pw.csv'));
    await symlink(outside, join(home, 'elsewhere'));
    await writeFile(join(home, 'rows.csv'), 'a,y\n1,0\n');
    await writeFile(join(home, '..dots.csv'), 'a,y\n1,0\n');
    await mkdir(join(home, '..x'));
    await writeFile(join(home, '..x', 'a.csv'), 'a,y\n1,0\n');
    await mkdir(join(home, 'sub'));
    await symlink('../rows.csv', join(home, 'sub', 'linked.csv'));
    execFileSync('mkfifo', [join(home, 'pipe.csv')]);
    // Sparse: one byte more than the trainer reads, taking no disk.
    await writeFile(join(home, 'huge.csv'), 'a,y\n');
    await truncate(join(home, 'huge.csv'), MAX_CSV_BYTES + 1);
  });
  afterAll(async () => {
    await rm(outside, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  /** How each way the trainer reads a CSV ends for `path`: its error's message, or "read". */
  const everyRead = (path: string) =>
    Promise.all(
      [
        checkDatasetFile(home, path),
        readCsvHeader(home, path),
        datasetFileSha256(home, path),
        csvFilesLoader(home)(path),
        csvFilesLoader(home)(path, 'a'.repeat(64)),
      ].map((read) =>
        read.then(
          () => 'read',
          (err: unknown) => [(err as Error).constructor.name, (err as Error).message],
        ),
      ),
    );

  it.each([
    ['a link to a file outside it', 'pw.csv'],
    ['a path through a link to a directory outside it', 'elsewhere/passwd'],
  ])('when a request names %s, then every read refuses it without saying where it leads or what it holds', async (_, path) => {
    const refusal = `dataset ${JSON.stringify(path)}: must be a file inside the trainer data directory ${home} (it links outside it)`;
    expect(await everyRead(path)).toEqual(Array.from({ length: 5 }, () => ['DatasetFileError', refusal]));
    const loaded = csvFilesLoader(home, { read: async () => undefined })(path);
    await expect(loaded).rejects.toMatchObject({ readableElsewhere: false });
  });

  it.each([
    ['a file whose name starts with two dots', '..dots.csv'],
    ['a file in a folder whose name starts with two dots', '..x/a.csv'],
  ])('when a request names %s, then every read reads it as a file inside the data directory', async (_, path) => {
    expect(await everyRead(path)).toEqual(Array.from({ length: 5 }, () => 'read'));
    expect((await csvFilesLoader(home)(path)).text).toBe('a,y\n1,0\n');
  });

  it.each([
    ['the directory above it', '..'],
    ['a file beside it', '../rows.csv'],
  ])('when a request names %s, then it is refused as outside the data directory', async (_, path) => {
    await expect(checkDatasetFile(home, path)).rejects.toThrow(
      `must be a file inside the trainer data directory ${home}`,
    );
  });

  it('when a link inside the data directory leads to a file inside it, then it is read as that file', async () => {
    expect(await everyRead('sub/linked.csv')).toEqual(Array.from({ length: 5 }, () => 'read'));
    expect(await readCsvHeader(home, 'sub/linked.csv')).toEqual(['a', 'y']);
    expect((await csvFilesLoader(home)('sub/linked.csv')).text).toBe('a,y\n1,0\n');
  });

  it('when the data directory itself is named through a link, then the files inside it are read', async () => {
    const viaLink = join(outside, 'data-link');
    await symlink(home, viaLink);
    expect((await csvFilesLoader(viaLink)('rows.csv')).text).toBe('a,y\n1,0\n');
    await checkDatasetFile(viaLink, 'rows.csv');
  });

  it('when the intake cannot read a file that is there (a link loop), then it says so, not that the file is missing', async () => {
    await symlink('loop.csv', join(home, 'loop.csv'));
    await expect(checkDatasetFile(home, 'loop.csv')).rejects.toThrow('dataset "loop.csv": cannot be read (ELOOP)');
    await expect(checkDatasetFile(home, 'absent.csv')).rejects.toThrow(`dataset "absent.csv": not found in ${home}`);
  });

  it('when the CSV is a FIFO (a tuning queued without the intake), then every read refuses it at once instead of waiting for a writer', async () => {
    const refusal = ['DatasetFileError', 'dataset "pipe.csv": is not a regular file'];
    expect(await everyRead('pipe.csv')).toEqual(Array.from({ length: 5 }, () => refusal));
  }, 5_000);

  it('when the CSV is larger than the trainer reads, then every read refuses it saying so, before reading it', async () => {
    const refusal = [
      'DatasetFileError',
      `dataset "huge.csv": is larger than ${MAX_CSV_BYTES} bytes, the most the trainer reads of a data set`,
    ];
    expect(await everyRead('huge.csv')).toEqual(Array.from({ length: 5 }, () => refusal));
  }, 5_000);
});
