import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as mlops } from '@mlops/cli';
import { readStackState } from '@mlops/local-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `mlops up` (in process, free ports, a temporary data directory) with a service configured wrong: the start fails
// naming the variable, and the state file keeps which process failed and why, for `mlops status` after the console is
// gone (a stack run under nohup).

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stack-bad-config-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs the CLI in process, collecting its output. */
async function run(args: string[], env: Record<string, string | undefined>) {
  let out = '';
  const io = {
    stdout: (text: string) => {
      out += text;
    },
    stderr: (text: string) => {
      out += text;
    },
    cwd: dataDir,
    env,
  };
  const code = await mlops(args, io);
  return { code, out };
}

describe('fault: a service of mlops up is configured wrong', () => {
  it('when the monitor refuses its configuration, then the start fails naming it, and stack.json and mlops status keep why', async () => {
    const ports = ['--nats-port', '0', '--mlflow-port', '0', '--predictor-port', '0'];
    const up = await run(['up', '--data-dir', dataDir, ...ports, '--no-tune'], {
      ...process.env,
      MONITOR_WINDOW_ROWS: 'abc',
    });
    expect(up.code).toBe(1);
    expect(up.out).toMatch(/the stack did not start: monitor exited early/);
    expect(up.out).toMatch(/MONITOR_WINDOW_ROWS/);

    const state = await readStackState(dataDir);
    if (state === undefined) throw new Error('no stack.json after the failed start');
    expect(state.state).toBe('failed');
    const monitor = state.processes.find((p) => p.name === 'monitor');
    expect(monitor).toMatchObject({ state: 'failed', pid: null });
    expect(monitor?.last_exit?.reason).toMatch(/^exited early \(code 1, signal null\): .*MONITOR_WINDOW_ROWS/);
    expect(state.processes.filter((p) => p.name !== 'monitor').every((p) => p.state === 'stopped')).toBe(true);

    const status = await run(['status', '--data-dir', dataDir], { ...process.env });
    expect(status.out).toMatch(
      /mlops up could not start monitor \(exited early \(code 1, signal null\): .*MONITOR_WINDOW_ROWS.*\), and stopped the stack: see its log/,
    );
  }, 180_000);
});
