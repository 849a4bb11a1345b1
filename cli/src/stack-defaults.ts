import { resolve } from 'node:path';
import { DEFAULT_PORTS, readStackState, type StackState } from '@mlops/local-stack';
import { UsageError } from './errors.js';
import type { CliIo } from './io.js';

/** The variable that names the data directory of the stack `mlops up --data-dir` runs, for every other command. */
export const DATA_DIR_VARIABLE = 'MLOPS_DATA_DIR';

/** The data directory the commands look for the stack in, as given: `$MLOPS_DATA_DIR` when set, else `data`. */
export function defaultDataDir(io: Pick<CliIo, 'env'>): string {
  const named = io.env[DATA_DIR_VARIABLE];
  return named === undefined || named === '' ? 'data' : named;
}

/** What the data directory says of a stack: none recorded, one starting or running, one not running, or no telling. */
type RecordedStack =
  | { readonly kind: 'none' }
  | { readonly kind: 'up'; readonly state: StackState }
  | { readonly kind: 'down'; readonly state: StackState }
  | { readonly kind: 'unreadable'; readonly problem: string };

/** The stack recorded in `$MLOPS_DATA_DIR/stack.json` (else `<cwd>/data/stack.json`); never throws. */
async function recordedStack(io: Pick<CliIo, 'cwd' | 'env'>): Promise<RecordedStack> {
  try {
    const state = await readStackState(resolve(io.cwd, defaultDataDir(io)));
    if (state === undefined) return { kind: 'none' };
    return state.state === 'starting' || state.state === 'running' ? { kind: 'up', state } : { kind: 'down', state };
  } catch (err) {
    return { kind: 'unreadable', problem: (err as Error).message };
  }
}

/**
 * The state `mlops up` records in `$MLOPS_DATA_DIR/stack.json` (else `<cwd>/data/stack.json`) while its stack is
 * starting or running; undefined when there is no readable state file, or the stack it describes was stopped
 * (another stack, say docker compose, may be on the usual ports now).
 */
export async function runningStackState(io: Pick<CliIo, 'cwd' | 'env'>): Promise<StackState | undefined> {
  const stack = await recordedStack(io);
  return stack.kind === 'up' ? stack.state : undefined;
}

/**
 * The addresses `mlops up` recorded, for a command given no address (`flags` names how to give one: `--url` unless
 * said otherwise); nothing when no stack is recorded (the quick start's ports apply then). A recorded stack that is
 * not running, or a state file that cannot be read, is refused (exit 1) rather than left for the default ports:
 * another stack may answer there; unless it ran on those very ports (what answers there now is the one meant).
 */
export async function recordedStackEndpoints(
  io: Pick<CliIo, 'cwd' | 'env'>,
  flags = '--url',
): Promise<Partial<StackState['endpoints']>> {
  const stack = await recordedStack(io);
  if (stack.kind === 'up') return stack.state.endpoints;
  // A stopped stack of the quick start's ports: those ports are what the command reaches anyway (docker compose now).
  if (stack.kind === 'none' || (stack.kind === 'down' && onDefaultPorts(stack.state))) return {};
  const dir = defaultDataDir(io);
  const other = `name the address with ${flags} to talk to another`;
  if (stack.kind === 'unreadable') throw new UsageError(`${stack.problem}: fix or remove it, or ${other}`, 1);
  throw new UsageError(`the stack in ${dir} is ${notRunning(stack.state)} (start it with mlops up, or ${other})`, 1);
}

/** Whether a recorded stack listened on the quick start's loopback ports, those the defaults name. */
function onDefaultPorts(state: StackState): boolean {
  const { nats, mlflow, predictor } = state.endpoints;
  return (
    nats === `nats://127.0.0.1:${DEFAULT_PORTS.nats}` &&
    mlflow === `http://127.0.0.1:${DEFAULT_PORTS.mlflow}` &&
    predictor === `http://127.0.0.1:${DEFAULT_PORTS.predictor}`
  );
}

/** How a recorded stack that does not run is said: `stopped`, `stopped (it failed: see mlops status)`, `stopping`. */
function notRunning(state: StackState): string {
  if (state.state === 'failed') return 'stopped (it failed: see mlops status)';
  return state.state === 'stopping' ? 'stopping' : 'stopped';
}
