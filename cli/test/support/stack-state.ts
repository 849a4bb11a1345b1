import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The addresses a state file records. */
export interface RecordedEndpoints {
  readonly nats: string;
  readonly mlflow: string;
  readonly predictor: string;
}

/**
 * Writes `<cwd>/data/stack.json` of a running stack whose `mlops up` is gone (its pid a process that has ended), with
 * `endpoints` and `processes` (each given a log under data/logs, no restart and no exit unless it says otherwise).
 */
export async function writeRunningState(cwd: string, endpoints: RecordedEndpoints, processes: object[]): Promise<void> {
  const dataDir = join(cwd, 'data');
  await mkdir(join(dataDir, 'logs'), { recursive: true });
  const state = {
    format: 1,
    pid: spawnSync(process.execPath, ['-e', '0']).pid,
    state: 'running',
    started_at: '2026-01-02T03:04:05.000Z',
    updated_at: '2026-01-02T03:05:00.000Z',
    data_dir: dataDir,
    endpoints,
    processes: processes.map((p) => ({ restarts: 0, last_exit: null, log: join(dataDir, 'logs', 'x.log'), ...p })),
  };
  await writeFile(join(dataDir, 'stack.json'), JSON.stringify(state));
}
