import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// scripts/up.sh (the README's quick start) in a copy of the repository's layout whose setup, Node and CLI are stand-ins:
// what it hands on to `mlops up`, from which directory, and whether it sets up first.

const SCRIPT = new URL('../../scripts/up.sh', import.meta.url).pathname;
/** The stand-in CLI: prints what it was given and where it runs, or a usage for --help. */
const FAKE_CLI = `const args = process.argv.slice(2);
if (args.includes('--help')) console.log('usage: mlops up');
else console.log(JSON.stringify({ args, cwd: process.cwd() }));
`;

let root: string;
let repo: string;
let caller: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'up-script-'));
  repo = join(root, 'repo');
  caller = join(root, 'elsewhere');
  await mkdir(join(repo, 'scripts'), { recursive: true });
  await mkdir(join(repo, 'cli', 'bin'), { recursive: true });
  await mkdir(caller);
  await copyFile(SCRIPT, join(repo, 'scripts', 'up.sh'));
  await writeFile(join(repo, 'scripts', 'setup.sh'), 'touch "$(dirname "$0")/../setup-ran"\n');
  await writeFile(join(repo, 'scripts', 'node-env.sh'), '');
  await writeFile(join(repo, 'cli', 'bin', 'mlops.js'), FAKE_CLI);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function upSh(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [join(repo, 'scripts', 'up.sh'), ...args], { cwd: caller });
  return stdout;
}

describe('scripts/up.sh', () => {
  it('when --data-dir is relative, then it is the caller directory’s, in both spellings; other arguments pass as they are', async () => {
    const out = JSON.parse(
      await upSh([
        '--data-dir',
        'reldata',
        '--nats-port',
        '0',
        '--data-dir=runs/b',
        '--data-dir',
        '/abs/c',
        '--no-tune',
      ]),
    );
    expect(out).toEqual({
      args: [
        'up',
        '--data-dir',
        join(caller, 'reldata'),
        '--nats-port',
        '0',
        `--data-dir=${join(caller, 'runs/b')}`,
        '--data-dir',
        '/abs/c',
        '--no-tune',
      ],
      cwd: repo,
    });
    expect(existsSync(join(repo, 'setup-ran'))).toBe(true);
  });

  it('when --data-dir is followed by another flag, then both pass as they are, for mlops up to refuse', async () => {
    const out = JSON.parse(await upSh(['--data-dir', '--no-tune']));
    expect(out.args).toEqual(['up', '--data-dir', '--no-tune']);
  });

  it('when --help is asked on a project already set up, then it prints the usage without setting up', async () => {
    await mkdir(join(repo, 'cli', 'dist'));
    await writeFile(join(repo, 'cli', 'dist', 'index.js'), '');
    const out = await upSh(['--help']);
    expect(out).toBe(
      'usage: bash scripts/up.sh [mlops up options]: installs what is missing (scripts/setup.sh), then runs mlops up\nusage: mlops up\n',
    );
    expect(existsSync(join(repo, 'setup-ran'))).toBe(false);
  });

  it('when --help is asked before the project is set up, then it says the setup runs first, then prints the usage', async () => {
    const out = await upSh(['--help']);
    expect(out).toContain('(the project is not set up yet: setting it up first, then the usage of mlops up)\n');
    expect(out.endsWith('usage: mlops up\n')).toBe(true);
    expect(existsSync(join(repo, 'setup-ran'))).toBe(true);
  });
});
