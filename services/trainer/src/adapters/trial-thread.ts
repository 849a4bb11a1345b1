import type { MessagePort } from 'node:worker_threads';
import type { TrialRequested } from '@mlops/contracts';
import { UnusableDataError } from '../domain/data-source.js';
import { TrialRunner } from '../domain/trial-runner.js';
import { csvFilesLoader } from './csv-files.js';

/** A task the pool sends a trial thread. */
export interface TrialTask {
  readonly id: number;
  readonly kind: 'run' | 'holdout';
  readonly trial: TrialRequested['data'];
}

/** A thread's answer to one task: its result, or the error it threw (named so the pool can tell unusable data). */
export type TrialTaskReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { message: string; unusable: boolean } };

/** A thread asks the pool for the dataset snapshot kept under `digest` (threads have no NATS connection). */
export interface SnapshotQuestion {
  readonly snapshot: number;
  readonly digest: string;
}

/** The pool's answer: the snapshot's bytes, none (`bytes` undefined), or why it could not be read. */
export interface SnapshotAnswer {
  readonly snapshot: number;
  readonly bytes?: Uint8Array | undefined;
  readonly error?: string | undefined;
}

/**
 * Serves trial tasks on `port` (a worker thread's parentPort), one at a time, reading CSVs under `dataDir`; a CSV
 * that changed since its tuning pinned it, or is missing here, is read from the pool's dataset snapshots.
 */
export function serveTrialTasks(port: MessagePort, dataDir: string): void {
  const questions = new Map<number, Waiting>();
  let nextQuestion = 1;
  const read = (digest: string) =>
    new Promise<Uint8Array | undefined>((resolve, reject) => {
      const snapshot = nextQuestion++;
      questions.set(snapshot, { resolve, reject });
      port.postMessage({ snapshot, digest } satisfies SnapshotQuestion);
    });
  const runner = new TrialRunner(csvFilesLoader(dataDir, { read }));
  port.on('message', (message: TrialTask | SnapshotAnswer) => {
    if ('snapshot' in message) return answered(questions, message);
    const task = message;
    const work = task.kind === 'run' ? runner.run(task.trial) : runner.holdout(task.trial);
    work.then(
      (result) => port.postMessage({ id: task.id, ok: true, result } satisfies TrialTaskReply),
      (err: unknown) =>
        port.postMessage({
          id: task.id,
          ok: false,
          error: { message: String((err as Error)?.message ?? err), unusable: err instanceof UnusableDataError },
        } satisfies TrialTaskReply),
    );
  });
}

/** A snapshot question the pool has not answered yet. */
interface Waiting {
  readonly resolve: (bytes: Uint8Array | undefined) => void;
  readonly reject: (err: Error) => void;
}

function answered(questions: Map<number, Waiting>, answer: SnapshotAnswer): void {
  const question = questions.get(answer.snapshot);
  questions.delete(answer.snapshot);
  if (answer.error !== undefined) question?.reject(new Error(`dataset snapshot not read: ${answer.error}`));
  else question?.resolve(answer.bytes);
}
