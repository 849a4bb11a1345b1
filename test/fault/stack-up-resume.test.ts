import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL_NAME } from '@mlops/contracts';
import { readStackState } from '@mlops/local-stack';
import { createMlflowClient, type Run } from '@mlops/mlflow';
import { runsWithGroup as running, until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `mlops up` as its own process (free ports, a temporary data directory), stopped with Ctrl-C during its first
// default tuning and started again on the same data: the tuning interrupted resumes from JetStream, and the restart
// must follow it to its version rather than publish a second default tuning (two tunings, two versions).

const BIN = new URL('../../cli/bin/mlops.js', import.meta.url).pathname;
let dataDir: string;
const ups: ChildProcess[] = [];
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stack-up-resume-'));
});
afterAll(async () => {
  for (const up of ups) up.kill('SIGKILL');
  const recorded = (await readStackState(dataDir).catch(() => undefined))?.processes ?? [];
  for (const pid of recorded.map((p) => p.pid ?? 0).filter((pid) => pid > 0 && running(pid))) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // not a group leader, or gone
      }
    }
  }
  await rm(dataDir, { recursive: true, force: true });
});

/** `mlops up` on free ports in its own process, with what it printed so far. */
function startUp() {
  const ports = ['--nats-port', '0', '--mlflow-port', '0', '--predictor-port', '0'];
  const child = spawn(process.execPath, [BIN, 'up', '--data-dir', dataDir, ...ports], {
    cwd: dataDir,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ups.push(child);
  const seen = { stdout: '', stderr: '', closed: false };
  child.once('close', () => {
    seen.closed = true;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    seen.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    seen.stderr += chunk.toString();
  });
  const printed = (pattern: RegExp, ms: number) =>
    until(
      `${pattern} printed`,
      () => {
        const found = pattern.exec(`${seen.stderr}\n${seen.stdout}`);
        if (found !== null) return found;
        if (seen.closed) throw new Error(`mlops up exited ${child.exitCode} first:\n${seen.stderr}\n${seen.stdout}`);
        return undefined;
      },
      ms,
      20,
    );
  return { child, seen, printed };
}

describe('fault: mlops up interrupted during its first default tuning, then started again', () => {
  it('when started again on the same data, then it follows the interrupted tuning to its version: one tuning, one version', async () => {
    const first = startUp();
    await first.printed(/accepted: tuning \S+, 15 trials/, 240_000);
    await first.printed(/progress: [1-9]\d*\/15 trials/, 120_000); // a trial ended: the tuning is under way
    const exited = once(first.child, 'exit');
    first.child.kill('SIGINT');
    const [firstCode] = (await exited) as [number | null];
    expect(firstCode).toBe(130);
    expect(first.seen.stderr).toMatch(/› stopping the stack\n› the stack stopped in \d+\.\d s\n$/);

    const second = startUp();
    const [, trackingUri] = await second.printed(/MLflow UI: {2}(http:\/\/\S+)/, 420_000);
    const mlflow = createMlflowClient({ trackingUri: trackingUri as string });
    const versions = await mlflow.searchModelVersions({ filter: `name = '${DEFAULT_MODEL_NAME}'` });
    const experiment = await mlflow.getExperimentByName(DEFAULT_MODEL_NAME);
    const runs: Run[] = [];
    for await (const run of mlflow.iterateRuns({ experimentIds: [experiment?.experimentId as string] })) runs.push(run);
    const tunings = new Set(runs.map((run) => run.data.tags['mlops.tuning_id']));
    const stopped = once(second.child, 'exit');
    second.child.kill('SIGINT');
    const [secondCode] = (await stopped) as [number | null];

    expect([...tunings]).toEqual([expect.stringMatching(/^mlops-up-[0-9a-f]{8}$/)]);
    expect(versions.modelVersions.map((v) => v.version)).toEqual(['1']);
    expect(second.seen.stderr).toContain(`accepted: tuning ${[...tunings][0]}`);
    expect(second.seen.stdout).toMatch(/registered One_Customer_Classifier version 1 \(alias champion\)/);
    expect(secondCode).toBe(130);
  }, 900_000);
});
