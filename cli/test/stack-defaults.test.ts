import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordedStackEndpoints, runningStackState } from '../src/stack-defaults.js';
import { runCli } from './support/run-cli.js';

// Where the commands find the stack without an address: the state file mlops up keeps in $MLOPS_DATA_DIR (else data/).
// A stack recorded there that is not running is refused: the quick start's ports may be another stack's now.

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-stack-defaults-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Ports nothing listens on, as a stopped stack leaves them. */
const ENDPOINTS = { nats: 'nats://127.0.0.1:1', mlflow: 'http://127.0.0.1:2', predictor: 'http://127.0.0.1:3' };

/** A stack.json in `<dir>/<name>` as mlops up leaves it in `state`, on `endpoints`. */
async function writeStack(name: string, state: string, endpoints = ENDPOINTS): Promise<void> {
  await mkdir(join(dir, name), { recursive: true });
  const record = {
    format: 1,
    pid: 1,
    state,
    started_at: '2026-01-02T03:04:05.000Z',
    updated_at: '2026-01-02T03:05:00.000Z',
    data_dir: join(dir, name),
    endpoints,
    processes: [],
  };
  await writeFile(join(dir, name, 'stack.json'), JSON.stringify(record));
}

const run = (argv: string[], env: Record<string, string> = {}) => runCli(argv, { cwd: dir, env });

const STOPPED_NATS =
  'the stack in stopped is stopped (start it with mlops up, or name the address with --nats (or NATS_URL) to talk to another)';

describe('a stopped stack in the data directory', () => {
  it.each([
    [['models']],
    [['monitor']],
    [['history']],
    [['promote', '--version', '2', '--reason', 'x']],
    [['tune']],
  ])('when MLOPS_DATA_DIR names it, then %j refuses in one line instead of asking the default port', async (argv) => {
    await writeStack('stopped', 'stopped');
    const result = await run(argv, { MLOPS_DATA_DIR: 'stopped' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`mlops ${argv[0]}: ${STOPPED_NATS}\n`);
  });

  it('when mlops predict is given no --url, then it refuses naming --url', async () => {
    await writeStack('stopped', 'stopped');
    const result = await run(['predict', '--features', '[[1]]'], { MLOPS_DATA_DIR: 'stopped' });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'mlops predict: the stack in stopped is stopped (start it with mlops up, or name the address with --url to talk to another)\n',
    });
  });

  it('when it is ./data (no MLOPS_DATA_DIR) and failed, then it is refused too, saying it failed', async () => {
    await writeStack('data', 'failed');
    const result = await run(['models']);
    expect(result.stderr).toBe(
      'mlops models: the stack in data is stopped (it failed: see mlops status) (start it with mlops up, or name the address with --nats (or NATS_URL) to talk to another)\n',
    );
  });

  it('when --nats or NATS_URL names an address, then the command goes there', async () => {
    await writeStack('stopped', 'stopped');
    const flag = await run(['models', '--nats', 'nats://127.0.0.1:4'], { MLOPS_DATA_DIR: 'stopped' });
    expect(flag.stderr).toMatch(/^mlops models: cannot connect to NATS at nats:\/\/127\.0\.0\.1:4 /);
    const variable = await run(['models'], { MLOPS_DATA_DIR: 'stopped', NATS_URL: 'nats://127.0.0.1:5' });
    expect(variable.stderr).toMatch(/^mlops models: cannot connect to NATS at nats:\/\/127\.0\.0\.1:5 /);
    const url = await run(['predict', '--url', 'http://127.0.0.1:6', '--features', '[[1]]'], {
      MLOPS_DATA_DIR: 'stopped',
    });
    expect(url.stderr).toMatch(/http:\/\/127\.0\.0\.1:6\/predict/);
  });

  it('when the state file cannot be read, then the command refuses naming it rather than guess', async () => {
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'stack.json'), '{"format": 7}');
    const result = await run(['models']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^mlops models: \S+data\/stack\.json is not a stack state file: .*: fix or remove it, or name the address with --nats \(or NATS_URL\) to talk to another\n$/,
    );
  });
});

describe('the addresses a running or absent stack gives', () => {
  it('when the recorded stack is running, then its endpoints are the defaults', async () => {
    await writeStack('up', 'running');
    const io = { cwd: dir, env: { MLOPS_DATA_DIR: 'up' } };
    expect(await recordedStackEndpoints(io)).toEqual(ENDPOINTS);
    expect((await runningStackState(io))?.endpoints).toEqual(ENDPOINTS);
  });

  it('when no stack is recorded, then there are none, and the quick start ports stay the default', async () => {
    const io = { cwd: dir, env: {} };
    expect(await recordedStackEndpoints(io)).toEqual({});
  });

  it("when the stopped stack ran on the quick start's ports, then there are none: what answers there now (docker compose) is the one meant", async () => {
    const quickStart = {
      nats: 'nats://127.0.0.1:4222',
      mlflow: 'http://127.0.0.1:5000',
      predictor: 'http://127.0.0.1:8080',
    };
    await writeStack('data', 'stopped', quickStart);
    await writeStack('moved', 'stopped', { ...quickStart, predictor: 'http://127.0.0.1:8081' });
    expect(await recordedStackEndpoints({ cwd: dir, env: {} })).toEqual({});
    await expect(recordedStackEndpoints({ cwd: dir, env: { MLOPS_DATA_DIR: 'moved' } })).rejects.toThrow(
      'the stack in moved is stopped',
    );
  });

  it('when the recorded stack is stopped, then runningStackState is undefined (a tuning note skips it)', async () => {
    await writeStack('stopped', 'stopped');
    expect(await runningStackState({ cwd: dir, env: { MLOPS_DATA_DIR: 'stopped' } })).toBeUndefined();
  });
});
