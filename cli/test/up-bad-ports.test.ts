import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

// Ports that fetch (and every browser) refuses to connect to, the fetch standard's "bad ports": an HTTP server of
// the stack on one could never be probed or opened. Refused before anything is created, so no server is needed.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-bad-port-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mlops up refuses an HTTP port that fetch refuses', () => {
  it.each([
    ['--predictor-port', '6000'],
    ['--predictor-port', '5060'],
    ['--mlflow-port', '10080'],
    ['--mlflow-port', '6667'],
  ])('when %s is %s, then it is a usage error in one line naming the port (exit 2), nothing created', async (flag, port) => {
    const dataDir = join(dir, 'data');
    const argv = ['up', '--data-dir', dataDir, '--nats-port', '0', flag, port, '--no-tune'];

    const result = await runCli(argv, { cwd: dir });

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `mlops up: ${flag} ${port} is a port browsers and fetch refuse to connect to (a "bad port" of the fetch standard): choose another\n`,
    });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('a predictor --url on a port that fetch refuses', () => {
  it('when mlops traffic is pointed at one, then the one line says fetch refuses the port, not only that it failed', async () => {
    const result = await runCli(['traffic', '--rows', '10', '--url', 'http://127.0.0.1:6000'], { cwd: dir });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'mlops traffic: cannot reach http://127.0.0.1:6000/predict: port 6000 is one fetch and browsers refuse to connect to (serve the predictor on another)\n',
    );
  });

  it('when mlops predict is pointed at one, then it says so too', async () => {
    const result = await runCli(['predict', '--features', '[[1]]', '--url', 'http://127.0.0.1:1'], { cwd: dir });

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^mlops predict: cannot reach http:\/\/127\.0\.0\.1:1\/predict: port 1 is one fetch and browsers refuse to connect to \(serve the predictor on another\)$/m,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
