import { Worker } from 'node:worker_threads';
import type { TrialRequested } from '@mlops/contracts';
import { UnusableDataError } from '../domain/data-source.js';
import type { QueuedTrialResult, TuningHoldout } from '../domain/trial-runner.js';
import type { SnapshotAnswer, SnapshotQuestion, TrialTask, TrialTaskReply } from './trial-thread.js';

/** Runs queued trials off the event loop. */
export interface TrialThreads {
  /**
   * Fits one trial on a free thread (waiting for one); a thread that dies mid-trial rejects it, and one still fitting
   * after the time limit is stopped and rejects it with TrialTimeoutError.
   */
  run(trial: TrialRequested['data']): Promise<QueuedTrialResult>;
  /** The gate's holdout of a trial's tuning, built on a thread (under the same time limit). */
  holdout(trial: TrialRequested['data']): Promise<TuningHoldout>;
  /** Terminates every thread; tasks in flight are rejected. */
  close(): Promise<void>;
}

/** How the pool's threads run. */
export interface TrialThreadsOptions {
  /** How long one task may run on its thread, in ms (from when the thread has it and has started: no queue time). */
  readonly timeLimitMs: number;
  /** The module each thread runs (tests swap in a stand-in); by default the compiled trial-thread-main.js. */
  readonly threadEntry?: URL;
  /** Reads a dataset snapshot for a thread whose CSV changed since its tuning pinned it; unset: threads get none. */
  readonly readSnapshot?: (digest: string) => Promise<Uint8Array | undefined>;
}

/**
 * A task ran on its thread past the trial time limit, so the thread was stopped (and replaced): the fit, or the
 * holdout, would run as long when tried again.
 */
export class TrialTimeoutError extends Error {
  constructor(
    readonly trialId: string,
    readonly tuningId: string,
    readonly task: TrialTask['kind'],
    readonly limitMs: number,
    options?: ErrorOptions,
  ) {
    const what = task === 'run' ? 'the fit' : "building its tuning's holdout";
    super(
      `trial ${trialId}: ${what} ran past the trial time limit of ${limitMs / 1000} s: its thread was stopped`,
      options,
    );
    this.name = new.target.name;
  }
}

interface Pending {
  readonly task: TrialTask;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | undefined;
  /** The thread has started (a task handed to it before waits for that, off the clock). */
  online: boolean;
  /** Stops the task in hand when it runs past the time limit. */
  timer: NodeJS.Timeout | undefined;
}

/**
 * A fixed pool of `count` worker threads, each with its own cache of data sets, reading CSVs under `dataDir`. A
 * thread that exits or throws is replaced; its task fails (the bus retries the trial). A thread whose task runs past
 * `options.timeLimitMs` is terminated and replaced; its task fails with TrialTimeoutError.
 */
export function trialThreads(count: number, dataDir: string, options: TrialThreadsOptions): TrialThreads {
  const { timeLimitMs } = options;
  const entry = options.threadEntry ?? threadEntry();
  const readSnapshot = options.readSnapshot === undefined ? undefined : oneReadAtATime(options.readSnapshot);
  const queue: Pending[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  /** Takes the slot's task off it (stopping its clock): settled by whoever took it. */
  const release = (slot: Slot): Pending | undefined => {
    const pending = slot.busy;
    clearTimeout(slot.timer);
    slot.busy = undefined;
    slot.timer = undefined;
    return pending;
  };

  /** Puts a fresh thread where `slot` was and gives it the next task (nothing once the pool is closed). */
  const replace = (slot: Slot) => {
    const at = slots.indexOf(slot);
    if (closed || at < 0) return;
    slots[at] = spawn();
    dispatch();
  };

  const spawn = (): Slot => {
    const worker = new Worker(entry, { workerData: { dataDir }, execArgv: threadExecArgv() });
    const slot: Slot = { worker, busy: undefined, online: false, timer: undefined };
    slot.worker.once('online', () => {
      slot.online = true;
      if (slot.busy !== undefined) startClock(slot);
    });
    slot.worker.on('message', (reply: TrialTaskReply | SnapshotQuestion) => {
      if ('snapshot' in reply) return answerSnapshot(worker, reply, readSnapshot);
      if (slot.busy === undefined || slot.busy.task.id !== reply.id) return; // not the task in hand: nothing to settle
      const pending = release(slot)!;
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(taskError(reply.error));
      dispatch();
    });
    const fail = (err: Error) => {
      release(slot)?.reject(new Error(`trial thread died: ${err.message}`, { cause: err }));
      replace(slot);
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => {
      if (slots.includes(slot)) fail(new Error(`exit code ${code}`));
    });
    return slot;
  };

  /** Starts the time limit of the task in hand. */
  const startClock = (slot: Slot) => {
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => timeOut(slot), timeLimitMs);
  };

  /** The task in hand ran out of time: its thread is stopped (a spinning fit never yields) and replaced. */
  const timeOut = (slot: Slot) => {
    const pending = release(slot);
    if (pending === undefined) return;
    const { kind, trial } = pending.task;
    replace(slot); // first, so the old thread's exit is not taken for a death
    slot.worker.terminate().catch(() => undefined); // a thread that is gone already has nothing left to stop
    pending.reject(new TrialTimeoutError(trial.trial_id, trial.tuning_id, kind, timeLimitMs));
  };

  const dispatch = () => {
    for (const slot of slots) {
      if (slot.busy !== undefined) continue;
      const pending = queue.shift();
      if (pending === undefined) return;
      slot.busy = pending;
      slot.worker.postMessage(pending.task);
      if (slot.online) startClock(slot);
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
      for (const slot of running) release(slot)?.reject(new Error('trial threads closed'));
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

/** Threads asking for one snapshot at the same moment (a tuning's first trials) share one read of it. */
function oneReadAtATime(
  read: (digest: string) => Promise<Uint8Array | undefined>,
): (digest: string) => Promise<Uint8Array | undefined> {
  const reading = new Map<string, Promise<Uint8Array | undefined>>();
  return (digest) => {
    const known = reading.get(digest);
    if (known !== undefined) return known;
    const started = read(digest).finally(() => reading.delete(digest));
    reading.set(digest, started);
    return started;
  };
}

/** Answers a thread's snapshot question (none without a reader; a failure to read is passed on as its message). */
function answerSnapshot(
  worker: Worker,
  question: SnapshotQuestion,
  readSnapshot: TrialThreadsOptions['readSnapshot'],
): void {
  const answer = (reply: Omit<SnapshotAnswer, 'snapshot'>) =>
    worker.postMessage({ snapshot: question.snapshot, ...reply } satisfies SnapshotAnswer);
  if (readSnapshot === undefined) {
    answer({});
    return;
  }
  readSnapshot(question.digest).then(
    (bytes) => answer({ bytes }),
    (err: unknown) => answer({ error: String((err as Error)?.message ?? err) }),
  );
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
