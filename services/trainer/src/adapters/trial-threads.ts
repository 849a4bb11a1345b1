import { Worker } from 'node:worker_threads';
import type { TrialRequested } from '@mlops/contracts';
import { UnusableDataError } from '../domain/data-source.js';
import type { QueuedTrialResult, TuningHoldout } from '../domain/trial-runner.js';
import type { TrialTask, TrialTaskReply } from './trial-thread.js';

/** Runs queued trials off the event loop. */
export interface TrialThreads {
  /** Fits one trial on a free thread (waiting for one); a thread that dies mid-trial rejects it. */
  run(trial: TrialRequested['data']): Promise<QueuedTrialResult>;
  /** The gate's holdout of a trial's tuning, built on a thread. */
  holdout(trial: TrialRequested['data']): Promise<TuningHoldout>;
  /** Terminates every thread; tasks in flight are rejected. */
  close(): Promise<void>;
}

interface Pending {
  readonly task: TrialTask;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | undefined;
}

/**
 * A fixed pool of `count` worker threads, each with its own cache of data sets, reading CSVs under `dataDir`. A
 * thread that exits or throws is replaced; its task fails (the bus retries the trial).
 */
export function trialThreads(count: number, dataDir: string): TrialThreads {
  const queue: Pending[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const spawn = (): Slot => {
    const worker = new Worker(threadEntry(), { workerData: { dataDir }, execArgv: threadExecArgv() });
    const slot: Slot = { worker, busy: undefined };
    slot.worker.on('message', (reply: TrialTaskReply) => {
      const pending = slot.busy;
      if (pending === undefined || pending.task.id !== reply.id) return; // not the task in hand: nothing to settle
      slot.busy = undefined;
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(taskError(reply.error));
      dispatch();
    });
    const fail = (err: Error) => {
      const pending = slot.busy;
      slot.busy = undefined;
      pending?.reject(new Error(`trial thread died: ${err.message}`, { cause: err }));
      if (closed) return;
      slots[slots.indexOf(slot)] = spawn();
      dispatch();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => {
      if (slots.includes(slot)) fail(new Error(`exit code ${code}`));
    });
    return slot;
  };

  const dispatch = () => {
    for (const slot of slots) {
      if (slot.busy !== undefined) continue;
      const pending = queue.shift();
      if (pending === undefined) return;
      slot.busy = pending;
      slot.worker.postMessage(pending.task);
    }
  };

  const submit = <T>(kind: TrialTask['kind'], trial: TrialRequested['data']): Promise<T> => {
    if (closed) return Promise.reject(new Error('trial threads closed'));
    if (slots.length === 0) for (let i = 0; i < count; i++) slots.push(spawn());
    return new Promise<T>((resolve, reject) => {
      queue.push({ task: { id: nextId++, kind, trial }, resolve: resolve as (value: unknown) => void, reject });
      dispatch();
    });
  };

  return {
    run: (trial) => submit<QueuedTrialResult>('run', trial),
    holdout: (trial) => submit<TuningHoldout>('holdout', trial),
    async close() {
      closed = true;
      for (const pending of queue.splice(0)) pending.reject(new Error('trial threads closed'));
      const running = slots.splice(0);
      await Promise.all(running.map((slot) => slot.worker.terminate()));
      for (const slot of running) slot.busy?.reject(new Error('trial threads closed'));
    },
  };
}

/**
 * The process's Node flags without export conditions: a TypeScript test runner resolves the workspace packages to
 * their sources through a condition, which the compiled thread entry must not inherit.
 */
function threadExecArgv(): string[] {
  const flags: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const flag = process.execArgv[i]!;
    if (flag === '--conditions' || flag === '-C') i++;
    else if (!flag.startsWith('--conditions=')) flags.push(flag);
  }
  return flags;
}

function taskError(error: { message: string; unusable: boolean }): Error {
  return error.unusable ? new UnusableDataError(error.message) : new Error(error.message);
}

/**
 * The compiled thread entry next to this module. Under a TypeScript test runner this module is `src/…/x.ts`, which
 * a worker thread cannot load: the build's copy in `dist/` is used (the build runs before the tests).
 */
function threadEntry(): URL {
  const here = import.meta.url;
  const entry = new URL('./trial-thread-main.js', here);
  return here.endsWith('.ts') ? new URL(entry.href.replace('/src/adapters/', '/dist/adapters/')) : entry;
}
