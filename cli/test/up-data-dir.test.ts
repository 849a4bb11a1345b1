import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

// A data directory mlops up cannot make or use, or a flag given twice, is refused before anything starts: one line,
// exit code 2. None of these command lines can start a stack (a flag given twice comes with a bad port too).

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-up-data-dir-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mlops up refuses a data directory it cannot use', () => {
  it('when the data directory is a file or below one, then it says so in one line naming it, exit 2', async () => {
    const file = join(dir, 'rows.csv');
    await writeFile(file, 'a,b\n');

    const asFile = await runCli(['up', '--data-dir', file, '--no-tune'], { cwd: dir });
    const below = await runCli(['up', '--data-dir', join(file, 'sub')], { cwd: dir, env: { MLOPS_DATA_DIR: 'x' } });

    expect(asFile).toEqual({
      code: 2,
      stdout: '',
      stderr: `mlops up: cannot use ${file} as the data directory: it is a file, not a directory: choose another --data-dir\n`,
    });
    expect(below).toEqual({
      code: 2,
      stdout: '',
      stderr: `mlops up: cannot use ${join(file, 'sub')} as the data directory: ${file} is a file, not a directory: choose another --data-dir\n`,
    });
    expect(await readdir(dir)).toEqual(['rows.csv']);
  });

  it('when MLOPS_DATA_DIR names a file, then the line says to set it to another directory', async () => {
    const file = join(dir, 'rows.csv');
    await writeFile(file, 'a,b\n');

    const result = await runCli(['up'], { cwd: dir, env: { MLOPS_DATA_DIR: file } });

    expect(result.stderr).toBe(
      `mlops up: cannot use ${file} as the data directory: it is a file, not a directory: set MLOPS_DATA_DIR to another directory, or give --data-dir\n`,
    );
  });

  it(
    'when the data directory is on a file system that takes no directories (/proc), then it returns at once, exit 2',
    { timeout: 10_000 },
    async () => {
      const result = await runCli(['up', '--data-dir', '/proc/mlops-up-test'], { cwd: dir });

      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'mlops up: cannot use /proc/mlops-up-test as the data directory: cannot create directories here: /proc takes no new ones: choose another --data-dir\n',
      });
    },
  );
});

describe('mlops up refuses a flag given twice', () => {
  it('when a flag is given twice, then it says so in one line, exit 2, whichever the flag', async () => {
    const runs = [
      ['--predictor-port', '8081', '--predictor-port', '6000'],
      ['--data-dir', join(dir, 'a'), '--data-dir', join(dir, 'b'), '--nats-port', '70000'],
      ['--nats-port=70000', '--nats-port', '70001'],
    ];

    const results = await Promise.all(runs.map((flags) => runCli(['up', ...flags], { cwd: dir })));

    expect(results).toEqual(
      ['predictor-port', 'data-dir', 'nats-port'].map((flag) => ({
        code: 2,
        stdout: '',
        stderr: `mlops up: --${flag} is given more than once: give it once\n`,
      })),
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
