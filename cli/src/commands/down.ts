import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  inspectStack,
  type Leftover,
  LocalStackError,
  type ProcessTable,
  ProcessTableUnavailable,
  pidAlive,
  readStackState,
  recordStackStoppedByOther,
  STACK_STATE_FILE,
  type StackState,
  stopLeftovers,
  systemProcessTable,
} from '@mlops/local-stack';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { numberOption, parseFlags, stringOptions } from '../options.js';
import { defaultDataDir } from '../stack-defaults.js';

/** Help text for `mlops down`. */
export const DOWN_USAGE = `usage: mlops down [--data-dir data] [--timeout 60]
Stops the stack mlops up runs on --data-dir (default: $MLOPS_DATA_DIR when set, else data), from any terminal:
sends that mlops up (the pid and start recorded in <data-dir>/stack.json) SIGTERM, as Ctrl-C would, and waits until
it has stopped its processes (services, MLflow, nats-server; each gets 10 s after SIGTERM) and exited, at most
--timeout seconds. A stack already stopping is only
waited for. When no mlops up runs there, says so; if the last one was killed without stopping its stack, stops what
it left running. Exit code 1 when mlops up is still running at the timeout (or a leftover could not be stopped).`;

const FLAGS = ['data-dir', 'timeout'] as const;

/** Seconds to wait for `mlops up` to exit: its stop gives each part 10 s, the services, MLflow, nats-server in turn. */
const DEFAULT_TIMEOUT_S = 60;
const POLL_MS = 100;

/** `mlops down`: the stack of a data directory stopped by its own `mlops up`, or what a killed one left, by us. */
export async function downCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: stringOptions(FLAGS), strict: true, allowPositionals: false });
  const timeoutS = numberOption(values, 'timeout') ?? DEFAULT_TIMEOUT_S;
  if (timeoutS <= 0) throw new UsageError(`--timeout needs a positive number of seconds, got "${values.timeout}"`);
  const shown = values['data-dir'] ?? defaultDataDir(io);
  const dataDir = resolve(io.cwd, shown);
  const state = await stateOf(dataDir);
  if (state === undefined) {
    io.stdout(`no stack running in ${shown} (no ${STACK_STATE_FILE} there)\n`);
    return 0;
  }
  const table = systemProcessTable();
  const stack = await inspectStack(state, table);
  if (stack.kind === 'none') {
    const over = state.state === 'stopped' || state.state === 'failed';
    const why = over ? `the last one ${state.state}` : `its mlops up, pid ${state.pid}, is gone`;
    io.stdout(`no stack running in ${shown} (${why})\n`);
    // Nothing of it runs (as far as a readable process table tells): its state file says so from now on.
    if (!over && (await tableReadable(table))) await recordStopped(dataDir, state, [], io);
    return 0;
  }
  const startedMs = Date.now();
  if (stack.kind === 'abandoned') {
    io.stdout(
      `no stack running in ${shown}: its mlops up (pid ${stack.pid}) ended without stopping it; stopping what it left running: ${names(stack.leftovers)}\n`,
    );
    await stopAll(stack.leftovers, stack.pid, table, dataDir, state, io);
    io.stdout(`stopped ${names(stack.leftovers)} in ${took(startedMs)}\n`);
    return 0;
  }
  const up = `mlops up (pid ${stack.pid})`;
  if (state.state === 'stopping') {
    // It was told already (a second SIGTERM would make it SIGKILL every process): only wait.
    io.stdout(`${up} is already stopping the stack in ${shown}; waiting up to ${timeoutS} s for it to exit\n`);
  } else {
    terminate(stack.pid, up);
    io.stdout(`stopping the stack in ${shown}: sent SIGTERM to ${up}, waiting up to ${timeoutS} s for it to exit\n`);
  }
  if (!(await exitedWithin(state, timeoutS * 1000, table))) {
    throw new UsageError(
      `${up} is still running ${timeoutS} s after SIGTERM; its stack in ${shown} may still be stopping (see mlops status). To force it, signal it again: kill ${stack.pid} (every process of the stack is SIGKILLed)`,
      1,
    );
  }
  // It ended without stopping everything (killed meanwhile): what it left is stopped as for a killed one.
  const after = await stateOf(dataDir).catch(() => undefined);
  const left = after === undefined ? undefined : await inspectStack(after, table);
  if (after !== undefined && left?.kind === 'abandoned') {
    io.stdout(`${up} exited, leaving ${names(left.leftovers)} running: stopping them\n`);
    await stopAll(left.leftovers, left.pid, table, dataDir, after, io);
  } else if (after !== undefined && left?.kind === 'none' && (await tableReadable(table))) {
    await recordStopped(dataDir, after, [], io); // killed meanwhile with nothing left: no-op when it wrote `stopped`
  }
  io.stdout(`stopped in ${took(startedMs)}\n`);
  return 0;
}

/** The state file of the data directory; one that cannot be read or is not a state file is a clear error. */
async function stateOf(dataDir: string): Promise<StackState | undefined> {
  try {
    return await readStackState(dataDir);
  } catch (err) {
    if (!(err instanceof LocalStackError)) throw err;
    throw new UsageError(`cannot tell whether a stack runs: ${err.message}`, 1, { cause: err });
  }
}

/** SIGTERM to the `mlops up`; one that ended since it was looked at is left to the wait to notice. */
function terminate(pid: number, up: string): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return;
    throw new UsageError(
      `cannot send SIGTERM to ${up}: ${code ?? (err as Error).message} (another user's process?)`,
      1,
    );
  }
}

/** True once the `mlops up` that wrote `state` has ended (its pid gone, a zombie, or another process's now). */
async function exitedWithin(state: StackState, ms: number, table: ProcessTable): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await writerGone(state, table)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
}

async function writerGone(state: StackState, table: ProcessTable): Promise<boolean> {
  try {
    const info = await table.describe(state.pid);
    if (info === undefined || info.zombie) return true;
    return typeof state.pid_start === 'string' && info.start !== state.pid_start;
  } catch (err) {
    if (err instanceof ProcessTableUnavailable) return !pidAlive(state.pid);
    throw err;
  }
}

/**
 * Stops a killed `mlops up`'s leftovers as its own stop would have, and records in its state file what was stopped
 * (that `mlops up` cannot any more); those that outlive their SIGKILL are an error.
 */
async function stopAll(
  leftovers: readonly Leftover[],
  upPid: number,
  table: ProcessTable,
  dataDir: string,
  state: StackState,
  io: CliIo,
): Promise<void> {
  const survivors = await stopLeftovers(leftovers, table);
  await recordStopped(
    dataDir,
    state,
    survivors.map((l) => l.name),
    io,
  );
  if (survivors.length === 0) return;
  throw new UsageError(
    `could not stop ${names(survivors)}, left running by mlops up (pid ${upPid}): stop it yourself (another user's process?)`,
    1,
  );
}

/**
 * Writes the stack of `state` stopped (but for `stillRunning`) in the state file, unless a later `mlops up` rewrote it
 * meanwhile; a write that fails is a warning: what runs was stopped all the same.
 */
async function recordStopped(dataDir: string, state: StackState, stillRunning: string[], io: CliIo): Promise<void> {
  try {
    await recordStackStoppedByOther(dataDir, state, stillRunning);
  } catch (err) {
    io.stderr(
      `mlops down: warning: could not record the stack stopped in ${STACK_STATE_FILE} (mlops status will show it as left running): ${(err as Error).message}\n`,
    );
  }
}

/** Whether the process table can be read: only then can a stack be told to have nothing left running. */
async function tableReadable(table: ProcessTable): Promise<boolean> {
  try {
    await table.describe(process.pid);
    return true;
  } catch (err) {
    if (err instanceof ProcessTableUnavailable) return false;
    throw err;
  }
}

function names(leftovers: readonly Leftover[]): string {
  return leftovers.map((l) => `${l.name} (pid ${l.pid})`).join(', ');
}

function took(startedMs: number): string {
  return `${((Date.now() - startedMs) / 1000).toFixed(1)} s`;
}
