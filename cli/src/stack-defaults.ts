import { resolve } from 'node:path';
import { readStackState, type StackState } from '@mlops/local-stack';

/**
 * The addresses `mlops up` recorded in `<cwd>/data/stack.json`, for a command given neither a flag nor a variable
 * (a stack started on other ports than the quick start's); nothing when there is no readable state file, or the
 * stack it describes was stopped (another stack, say docker compose, may be on the usual ports now).
 */
export async function recordedStackEndpoints(cwd: string): Promise<Partial<StackState['endpoints']>> {
  const state = await readStackState(resolve(cwd, 'data')).catch(() => undefined);
  const up = state?.state === 'starting' || state?.state === 'running';
  return up ? state.endpoints : {};
}
