import { renameSync, writeFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalStackError } from './errors.js';
import { PRIVATE_FILE_MODE } from './private-files.js';

/** The name of the state file in the data directory. */
export const STACK_STATE_FILE = 'stack.json';

/** Where a process of the stack is in its life. */
export type ProcessState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

/** Where the stack as a whole is. */
export type StackLifecycle = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** How a process's last run ended on its own. */
export interface LastExit {
  /** ISO time. */
  readonly at: string;
  readonly reason: string;
}

/** One process of the stack as the state file records it. */
export interface ProcessRecord {
  readonly name: string;
  readonly pid: number | null;
  readonly state: ProcessState;
  readonly restarts: number;
  readonly last_exit: LastExit | null;
  /** Absolute path of its log file. */
  readonly log: string;
  /** What answers while it is healthy: `http://…/ready` (or /health), or `tcp://host:port` for nats-server. */
  readonly health: string;
  /** The start token of the run with `pid` (tells it from a later process with its pid); absent in older files. */
  readonly start?: string | null | undefined;
}

/** The content of `<data-dir>/stack.json`, rewritten by `mlops up` on every change. */
export interface StackState {
  readonly format: 1;
  /** The pid of the process that runs the stack (`mlops up`). */
  readonly pid: number;
  /** The start token of that process; null when it could not be read, absent in older files. */
  readonly pid_start?: string | null | undefined;
  readonly state: StackLifecycle;
  readonly started_at: string;
  readonly updated_at: string;
  readonly data_dir: string;
  readonly endpoints: { readonly nats: string; readonly mlflow: string; readonly predictor: string };
  readonly processes: readonly ProcessRecord[];
}

/** The state file of a data directory. */
export function stackStateFile(dataDir: string): string {
  return join(dataDir, STACK_STATE_FILE);
}

/** Keeps the state in memory and writes every change to the file (its owner's alone), one write at a time, each atomic. */
export class StackStateWriter {
  private writing: Promise<void> = Promise.resolve();
  /** Set by {@link recordKilledNow}: the file holds the final state, written synchronously. */
  private sealed = false;

  constructor(
    readonly file: string,
    private current: StackState,
    private readonly onError: (err: Error) => void,
  ) {}

  /** The state as last changed. */
  get state(): StackState {
    return this.current;
  }

  /** Sets the stack's lifecycle state. */
  setStack(state: StackLifecycle): void {
    this.change((s) => ({ ...s, state }));
  }

  /** Adds or replaces processes (matched by name). */
  putProcesses(records: readonly ProcessRecord[]): void {
    const names = new Set(records.map((r) => r.name));
    this.change((s) => ({ ...s, processes: [...s.processes.filter((p) => !names.has(p.name)), ...records] }));
  }

  /**
   * Records the pid of a process's run as it is spawned, before it is ready, so that the next `mlops up` finds it
   * should this one die without stopping it (and where it is probed now); a process not recorded yet is added as
   * `starting`.
   */
  recordSpawn(process: Pick<ProcessRecord, 'name' | 'log' | 'health'>, pid: number, start: string | null): void {
    if (this.current.processes.some((p) => p.name === process.name))
      this.updateProcess(process.name, { pid, start, health: process.health });
    else this.putProcesses([{ ...process, pid, start, state: 'starting', restarts: 0, last_exit: null }]);
  }

  /** Records the start token of a process's run, if that run is still the one recorded. */
  recordStart(name: string, pid: number, start: string | null): void {
    if (this.current.processes.some((p) => p.name === name && p.pid === pid)) this.updateProcess(name, { start });
  }

  /** Marks every process stopped (no pid): after a start-up that failed and stopped what it started. */
  stopAllProcesses(): void {
    this.change((s) => ({ ...s, processes: s.processes.map((p) => ({ ...p, state: 'stopped', pid: null })) }));
  }

  /**
   * Records that every process was just SIGKILLed (the stack is `stopped`, no pids) and writes it at once,
   * synchronously: the caller may be about to exit, before any asynchronous write could land.
   */
  recordKilledNow(): void {
    const over = this.current.state === 'stopped' || this.current.state === 'failed';
    if (over && this.current.processes.every((p) => p.pid === null)) return; // nothing was left to kill
    this.stopAllProcesses();
    this.setStack('stopped');
    this.sealed = true; // no queued write of an older state after this one
    const temporary = `${this.file}.${process.pid}.killed.tmp`;
    try {
      writeFileSync(temporary, `${JSON.stringify(this.current, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
      renameSync(temporary, this.file);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  /** Changes one process's record. */
  updateProcess(name: string, patch: Partial<Omit<ProcessRecord, 'name'>>): void {
    this.change((s) => ({ ...s, processes: s.processes.map((p) => (p.name === name ? { ...p, ...patch } : p)) }));
  }

  /** Resolves when every change so far is on disk. */
  async flush(): Promise<void> {
    await this.writing;
  }

  private change(edit: (state: StackState) => StackState): void {
    this.current = { ...edit(this.current), updated_at: new Date().toISOString() };
    const snapshot = `${JSON.stringify(this.current, null, 2)}\n`;
    this.writing = this.writing.then(() => this.write(snapshot));
  }

  private async write(text: string): Promise<void> {
    if (this.sealed) return;
    try {
      await writeStateText(this.file, text, 'tmp');
    } catch (err) {
      this.onError(err as Error);
    }
  }
}

/**
 * Writes a state file's text atomically (a temporary `<file>.<pid>.<tag>` renamed over it), readable by its owner
 * alone: a reader never sees half a file.
 */
export async function writeStateText(file: string, text: string, tag: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${tag}`;
  await writeFile(temporary, text, { mode: PRIVATE_FILE_MODE });
  await rename(temporary, file);
}

/** A writer for `<dataDir>/stack.json` of a stack starting now in this process; write errors go to `onError` once. */
export function createStackStateWriter(
  dataDir: string,
  endpoints: StackState['endpoints'],
  onError: (err: Error) => void,
  pidStart: string | null = null,
): StackStateWriter {
  const now = new Date().toISOString();
  const initial: StackState = {
    format: 1,
    pid: process.pid,
    pid_start: pidStart,
    state: 'starting',
    started_at: now,
    updated_at: now,
    data_dir: dataDir,
    endpoints,
    processes: [],
  };
  let reported = false;
  const writer = new StackStateWriter(stackStateFile(dataDir), initial, (err) => {
    if (!reported) onError(err);
    reported = true;
  });
  writer.setStack('starting');
  return writer;
}

/** The stack state of a data directory; undefined when there is no state file (no `mlops up` ran there). */
export async function readStackState(dataDir: string): Promise<StackState | undefined> {
  const file = stackStateFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocalStackError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return checkState(JSON.parse(text));
  } catch (err) {
    throw new LocalStackError(`${file} is not a stack state file: ${(err as Error).message}`, { cause: err });
  }
}

function checkState(value: unknown): StackState {
  const state = value as StackState;
  const isString = (v: unknown) => typeof v === 'string';
  const ok =
    state?.format === 1 &&
    typeof state.pid === 'number' &&
    optionalString(state.pid_start) &&
    [state.state, state.started_at, state.updated_at, state.data_dir].every(isString) &&
    [state.endpoints?.nats, state.endpoints?.mlflow, state.endpoints?.predictor].every(isString) &&
    Array.isArray(state.processes) &&
    state.processes.every(
      (p) =>
        [p?.name, p?.state, p?.log, p?.health].every(isString) &&
        typeof p.restarts === 'number' &&
        (p.pid === null || typeof p.pid === 'number') &&
        optionalString(p.start) &&
        (p.last_exit === null || (isString(p.last_exit?.at) && isString(p.last_exit?.reason))),
    );
  if (!ok) throw new TypeError('unexpected content (format 1 expected)');
  return state;
}

function optionalString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}
