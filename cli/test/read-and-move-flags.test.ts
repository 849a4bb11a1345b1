import { describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

// Flags of the registry and monitoring commands checked before anything is sent, and each command's own --help. An
// address where nothing listens stands for the stack: a flag that reached it would fail to connect (exit 1) instead.

const NOWHERE = ['--nats', 'nats://127.0.0.1:1'];
const run = (...argv: string[]) => runCli(argv, { cwd: process.cwd(), env: {} });

describe('mlops <command> --help of commands that used to share a text', () => {
  it.each([
    'models',
    'promote',
    'rollback',
    'monitor',
    'feedback',
    'retrain',
    'history',
  ])('when %s is asked for --help, then it prints its own usage and no other command’s', async (name) => {
    const result = await run(name, '--help');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.match(/^usage: mlops \w+/gm)).toEqual([`usage: mlops ${name}`]);
  });

  it('when monitor and models are asked for --help, then they say which exit code an unknown name or version has; the overview keeps every usage', async () => {
    expect((await run('monitor', '--help')).stdout).toContain(
      'exit 1 when --name or --version names nothing the monitor has seen',
    );
    expect((await run('models', '--help')).stdout.replace(/\s+/g, ' ')).toContain(
      'exit 1 when --name names no registered model',
    );
    const { stdout } = await run('help');
    for (const name of ['models', 'promote', 'rollback', 'monitor', 'feedback', 'retrain', 'history']) {
      expect(stdout).toContain(`usage: mlops ${name} `);
    }
  });
});

describe('mlops promote --version checked before sending', () => {
  it.each([
    'abc',
    '0',
    '3.0',
    '-1',
    '',
  ])('when --version is %j, then it refuses with one line naming the flag and the value (exit 2)', async (version) => {
    const result = await run('promote', `--version=${version}`, '--reason', 'x', ...NOWHERE);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `mlops promote: --version needs a version number such as 3 (see mlops models), got "${version}"\n`,
    });
  });
});

describe('mlops monitor --version and --name checked before sending', () => {
  it.each(['abc', '-1', '1.5', ''])('when --version is %j, then it is a usage error (exit 2)', async (version) => {
    const result = await run('monitor', `--version=${version}`, ...NOWHERE);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `mlops monitor: --version needs a whole number such as 3, got "${version}"\n`,
    });
  });

  it('when --name is empty, then it is a usage error (exit 2)', async () => {
    expect(await run('monitor', '--name', '', ...NOWHERE)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mlops monitor: --name needs a model name of 1 to 256 characters, got ""\n',
    });
  });
});

describe('the other registry flags checked before sending', () => {
  it.each([
    [['models', '--name', 'a/b'], 'mlops models: --name "a/b": must not contain "/" or ":"'],
    [['models', '--limit', '0'], 'mlops models: --limit needs a whole number from 1 to 200, got "0"'],
    [['rollback', '--reason', ' '], 'mlops rollback: --reason needs 1 to 500 characters of text, got " "'],
    [
      ['rollback', '--request-id', 'a b'],
      'mlops rollback: --request-id needs 1 to 64 letters, digits, "-" or "_", got "a b"',
    ],
    [['promote', '--version', '2', '--reason', 'x', '--name', '..x'], 'mlops promote: --name "..x": must not be'],
  ])('when %j, then it refuses before connecting (exit 2)', async (argv, message) => {
    const result = await run(...argv, ...NOWHERE);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
