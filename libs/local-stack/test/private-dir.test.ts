import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UnusableDirError } from '../src/errors.js';
import { createPrivateDir } from '../src/private-files.js';

// A directory the stack cannot make or use is refused with why, in words, and nothing is left half made. mkdir is
// wrapped so that a test can make it refuse as an unwritable parent does (these tests may run as root).
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, mkdir: vi.fn(actual.mkdir) };
});

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'private-dir-'));
});
afterEach(async () => {
  vi.mocked(mkdir).mockReset();
  await rm(root, { recursive: true, force: true });
});

/** The refusal `createPrivateDir(dir)` ends with: its path and reason. */
async function refusal(dir: string): Promise<{ path: string; reason: string }> {
  const err = await createPrivateDir(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnusableDirError);
  const { path, reason } = err as UnusableDirError;
  return { path, reason };
}

/** An error as node:fs gives it, with its code. */
const fsError = (code: string) => Object.assign(new Error(`${code}: refused`), { code });

describe('createPrivateDir refusals', () => {
  it('when the directory is a file, then it is refused as a file', async () => {
    const file = join(root, 'rows.csv');
    await writeFile(file, 'a,b\n');

    expect(await refusal(file)).toEqual({ path: file, reason: 'it is a file, not a directory' });
  });

  it('when a parent is a file, then it is refused naming that file, and nothing is made', async () => {
    const file = join(root, 'rows.csv');
    await writeFile(file, 'a,b\n');

    expect(await refusal(join(file, 'sub', 'data'))).toEqual({
      path: join(file, 'sub', 'data'),
      reason: `${file} is a file, not a directory`,
    });
    expect(await readdir(root)).toEqual(['rows.csv']);
  });

  it('when its parent refuses a new directory, then it says permission denied, naming the parent', async () => {
    vi.mocked(mkdir).mockRejectedValueOnce(fsError('EACCES'));

    expect(await refusal(join(root, 'data'))).toEqual({
      path: join(root, 'data'),
      reason: `permission denied: you cannot create directories in ${root}`,
    });
  });

  it('when a deeper directory cannot be made, then the ones made before it are removed again', async () => {
    const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
    vi.mocked(mkdir).mockImplementation(async (path, options) => {
      if (String(path).endsWith('data')) throw fsError('EACCES');
      return actual.mkdir(path, options);
    });

    const { reason } = await refusal(join(root, 'a', 'b', 'data'));

    expect(reason).toBe(`permission denied: you cannot create directories in ${join(root, 'a', 'b')}`);
    expect(await readdir(root)).toEqual([]);
  });

  it(
    'when the file system takes no new directories (/proc), then it is refused at once, not retried forever',
    { timeout: 5_000 },
    async () => {
      expect(await refusal('/proc/mlops-private-dir-test/data')).toEqual({
        path: '/proc/mlops-private-dir-test/data',
        reason: 'cannot create directories here: /proc takes no new ones',
      });
    },
  );

  it('when the directory and its parents exist, then nothing is made and a private one passes', async () => {
    await mkdir(join(root, 'data'), { mode: 0o700 });

    expect(await createPrivateDir(join(root, 'data'))).toEqual({ created: undefined, openMode: undefined });
  });
});
