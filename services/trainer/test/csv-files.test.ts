import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvFilesLoader, DatasetFileError, datasetFileSha256 } from '../src/adapters/csv-files.js';

let dataDir: string;
// "café" in Latin-1: not valid UTF-8, so hashing the decoded text would differ from hashing the bytes.
const bytes = Buffer.concat([Buffer.from('name,y\ncaf'), Buffer.from([0xe9]), Buffer.from(',1\n')]);
const expected = createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'trainer-csv-files-'));
  await writeFile(join(dataDir, 'latin1.csv'), bytes);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the SHA-256 of a data set file', () => {
  it("when the loader reads a file, then its digest is of the file's bytes, as the streamed intake digest", async () => {
    const loaded = await csvFilesLoader(dataDir)('latin1.csv');
    expect(loaded.sha256).toBe(expected);
    expect(loaded.source).toBe(`file://${join(dataDir, 'latin1.csv')}`);
    expect(await datasetFileSha256(dataDir, 'latin1.csv')).toBe(expected);
  });

  it('when the file is missing or outside the data directory, then the streamed digest says so naming the path', async () => {
    await expect(datasetFileSha256(dataDir, 'missing.csv')).rejects.toThrow(DatasetFileError);
    await expect(datasetFileSha256(dataDir, 'missing.csv')).rejects.toThrow('dataset "missing.csv": cannot be read');
    await expect(datasetFileSha256(dataDir, '../x.csv')).rejects.toThrow(/inside the trainer data directory/);
  });
});
