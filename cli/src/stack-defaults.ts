import { resolve } from 'node:path';
import { readStackState, type StackState } from '@mlops/local-stack';
import type { CliIo } from './io.js';

/** The variable that names the data directory of the stack `mlops up --data-dir` runs, for every other command. */
export const DATA_DIR_VARIABLE = 'MLOPS_DATA_DIR';

/** The data directory the commands look for the stack in, as given: `$MLOPS_DATA_DIR` when set, else `data`. */
export function defaultDataDir(io: Pick<CliIo, 'env'>): string {
  const named = io.env[DATA_DIR_VARIABLE];
  return named === undefined || named === '' ? 'data' : named;
}

/**
 * The state `mlops up` records in `$MLOPS_DATA_DIR/stack.json` (else `<cwd>/data/stack.json`) while its stack is
 * starting or running; undefined when there is no readable state file, or the stack it describes was stopped
 * (another stack, say docker compose, may be on the usual ports now).
 */
export async function runningStackState(io: Pick<CliIo, 'cwd' | 'env'>): Promise<StackState | undefined> {
  const state = await readStackState(resolve(io.cwd, defaultDataDir(io))).catch(() => undefined);
  const up = state?.state === 'starting' || state?.state === 'running';
  return up ? state : undefined;
}

/**
 * The addresses `mlops up` recorded (see {@link runningStackState}), for a command given neither a flag nor a
 * variable (a stack started on other ports than the quick start's); nothing when no stack is recorded running.
 */
export async function recordedStackEndpoints(
  io: Pick<CliIo, 'cwd' | 'env'>,
): Promise<Partial<StackState['endpoints']>> {
  return (await runningStackState(io))?.endpoints ?? {};
}
