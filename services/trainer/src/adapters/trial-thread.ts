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

/** Serves trial tasks on `port` (a worker thread's parentPort), one at a time, reading CSVs under `dataDir`. */
export function serveTrialTasks(port: MessagePort, dataDir: string): void {
  const runner = new TrialRunner(csvFilesLoader(dataDir));
  port.on('message', (task: TrialTask) => {
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
