import { readStackState, type StackState, stackStateFile, writeStateText } from './stack-state.js';
import { whileHoldingDataDir } from './start-guards.js';

// The state file is `mlops up`'s to write; when it was killed, whoever stops what it left running (`mlops down`)
// records that instead, so that `mlops status` stops saying the stack runs.

/**
 * Records in `<dataDir>/stack.json` that the stack `previous` describes was stopped by another process than its
 * `mlops up` (killed): the stack `stopped` and every process `stopped` without a pid, except those named in
 * `stillRunning` (could not be stopped: kept as recorded, and the stack with them). Read and written holding the
 * data directory's lock, so a new `mlops up` cannot write its own in between. Resolves true when it wrote; false when
 * the file no longer describes that stack (a later `mlops up` wrote its own), already says it is over, or a live
 * `mlops up` holds the directory (its state file is its own to write).
 */
export async function recordStackStoppedByOther(
  dataDir: string,
  previous: Pick<StackState, 'pid' | 'pid_start' | 'started_at'>,
  stillRunning: readonly string[] = [],
): Promise<boolean> {
  const wrote = await whileHoldingDataDir(dataDir, () => rewriteStopped(dataDir, previous, stillRunning));
  return wrote === true;
}

async function rewriteStopped(
  dataDir: string,
  previous: Pick<StackState, 'pid' | 'pid_start' | 'started_at'>,
  stillRunning: readonly string[],
): Promise<boolean> {
  const current = await readStackState(dataDir);
  if (current === undefined || !sameStack(current, previous)) return false;
  if (current.state === 'stopped' || current.state === 'failed') return false;
  const left = new Set(stillRunning);
  const next: StackState = {
    ...current,
    state: left.size === 0 ? 'stopped' : current.state,
    updated_at: new Date().toISOString(),
    processes: current.processes.map((p) =>
      left.has(p.name) || (p.state === 'failed' && p.pid === null)
        ? p
        : { ...p, state: p.state === 'failed' ? 'failed' : 'stopped', pid: null },
    ),
  };
  await writeStateText(stackStateFile(dataDir), `${JSON.stringify(next, null, 2)}\n`, 'stopped.tmp');
  return true;
}

function sameStack(a: Pick<StackState, 'pid' | 'pid_start' | 'started_at'>, b: typeof a): boolean {
  return a.pid === b.pid && (a.pid_start ?? null) === (b.pid_start ?? null) && a.started_at === b.started_at;
}
