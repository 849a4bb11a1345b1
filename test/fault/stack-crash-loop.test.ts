import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as mlops } from '@mlops/cli';
import { pidAlive, readStackState } from '@mlops/local-stack';
import { until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `mlops up` (in process, free ports, a temporary data directory) while the tracker is SIGKILLed again each time it
// is back: the restarts back off (0.5 s, 1 s, 2 s, 4 s) and the fifth exit within 60 s is a crash loop, which stops the
// whole stack with exit code 1 and the tracker's last log lines.

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stack-crash-loop-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** The tracker's pid once it runs with a pid other than `previous`; undefined when `mlops up` has ended. */
async function runningTracker(previous: number | null, ended: () => boolean): Promise<number | undefined> {
  return await until(
    'the tracker running again',
    async () => {
      if (ended()) return null;
      const tracker = (await readStackState(dataDir).catch(() => undefined))?.processes.find(
        (p) => p.name === 'tracker',
      );
      return tracker?.state === 'running' && tracker.pid !== null && tracker.pid !== previous ? tracker.pid : undefined;
    },
    120_000,
    20,
  ).then((pid) => pid ?? undefined);
}

describe('fault: a service of mlops up crashes again and again', () => {
  it('when the tracker exits five times within 60 s, then mlops up gives up, quotes its log and stops everything', async () => {
    let stderr = '';
    const io = {
      stdout: () => undefined,
      stderr: (text: string) => {
        stderr += text;
      },
      cwd: dataDir,
      env: { ...process.env },
    };
    const ports = ['--nats-port', '0', '--mlflow-port', '0', '--predictor-port', '0'];
    let ended = false;
    const up = mlops(['up', '--data-dir', dataDir, ...ports, '--no-tune'], io).finally(() => {
      ended = true;
    });
    const killed: number[] = [];
    for (let pid = await runningTracker(null, () => ended); pid !== undefined; ) {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
      pid = await runningTracker(pid, () => ended);
    }
    const code = await up;

    expect(code).toBe(1);
    expect(killed).toHaveLength(5);
    const lines = stderr.split('\n');
    const exits = lines.filter((line) => line.startsWith('› tracker exited'));
    expect(exits.slice(0, 4)).toEqual(
      ['0.5 s', '1 s', '2 s', '4 s'].map(
        (wait) => `› tracker exited (code null, signal SIGKILL); restarting in ${wait} — log: logs/tracker.log`,
      ),
    );
    expect(exits[4]).toBe(
      '› tracker exited (code null, signal SIGKILL): 5 exits within 60 s, a crash loop; not restarting it — log: logs/tracker.log',
    );
    const quoted = lines.findIndex((line) => /^ {2}its last \d+ lines:$/.test(line));
    const count = Number(/\d+/.exec(lines[quoted] ?? '')?.[0]);
    const logLines = (await readFile(join(dataDir, 'logs', 'tracker.log'), 'utf8')).trimEnd().split('\n');
    expect(count).toBe(Math.min(20, logLines.length));
    expect(lines.slice(quoted + 1, quoted + 1 + count)).toEqual(logLines.slice(-count).map((line) => `    ${line}`));
    expect(lines.filter((line) => line.startsWith('› tracker ready again'))).toHaveLength(4);
    expect(lines.filter((line) => / (exited|ready again) /.test(line) && !line.startsWith('› tracker'))).toEqual([]);
    expect(lines.at(-3)).toBe('› stopping the stack');
    expect(lines.at(-2)).toMatch(/^› the stack stopped in \d+\.\d s$/);

    const state = await readStackState(dataDir);
    expect(state?.state).toBe('failed'); // stopped, but after giving up: mlops status says so
    expect(Object.fromEntries(state?.processes.map((p) => [p.name, p.state]) ?? [])).toEqual({
      'nats-server': 'stopped',
      mlflow: 'stopped',
      trainer: 'stopped',
      tracker: 'failed',
      predictor: 'stopped',
      monitor: 'stopped',
    });
    expect(state?.processes.find((p) => p.name === 'tracker')?.restarts).toBe(4);
    expect(killed.filter(pidAlive)).toEqual([]);
  }, 240_000);
});
