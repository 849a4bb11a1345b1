import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('mlops up (the quick start)', () => {
  it('when run with free ports, then it brings the stack up, tunes, registers version 1 and stops cleanly', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mlops-up-'));
    try {
      const bin = new URL('../../cli/bin/mlops.js', import.meta.url).pathname;
      const args = [
        bin,
        'up',
        '--data-dir',
        dataDir,
        '--nats-port',
        '0',
        '--mlflow-port',
        '0',
        '--predictor-port',
        '0',
        '--exit-after-tune',
      ];
      const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 150_000 });
      expect(stdout).toMatch(/0\.01 {2}liblinear {5}0\.865 .*← best accuracy/);
      expect(stdout).toMatch(/registered One_Customer_Classifier version 1 \(alias champion\)/);
      expect(stdout).toMatch(/\/predict: {3}http:\/\/127\.0\.0\.1:\d+\/predict/);
      expect(stdout).toMatch(/metrics: {4}http:\/\/127\.0\.0\.1:\d+\/metrics \(monitor: drift, live performance\)/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
