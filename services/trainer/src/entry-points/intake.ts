import { randomUUID } from 'node:crypto';
import { SUBJECTS, type TuneRequest, type ValidationProblem } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { digestMismatch } from '../domain/data-source.js';
import {
  claimTuningId,
  type DatasetCheck,
  decideTuneRequest,
  type IntakeDecision,
  rejection,
  replyFor,
} from '../domain/intake.js';
import type { DatasetFiles, TrainerBus } from '../domain/ports.js';
import { headerProblems } from '../domain/table-data.js';

type CsvDatasetSpec = Extract<TuneRequest['dataset'], { kind: 'csv' }>;

/**
 * The `tune.requested` intake (a core NATS queue subscription): validates each request, stores accepted ones on
 * the durable `tuning.requested` queue, records rejections as `tune.rejected`, and answers the reply subject if any.
 * Accepted is only said after JetStream acknowledged the stored request.
 */
export function startIntake(bus: TrainerBus, files: DatasetFiles, logger: Logger) {
  const checkDataset: DatasetCheck = async ({ dataset, append_training: appended }: TuneRequest) => [
    ...(dataset.kind === 'csv' ? await csvDatasetProblems(files, dataset) : []),
    ...(appended?.kind === 'csv' ? (await csvDatasetProblems(files, appended)).map(underAppendTraining) : []),
  ];
  return bus.serveTuneRequests(async (body) => {
    const { decision, store } = await claimTuningId(bus, await decideTuneRequest(body, checkDataset), Date.now());
    if (store) await record(bus, decision);
    logDecision(logger, decision);
    return replyFor(decision);
  });
}

/** What the intake can tell of a request's CSV: that it exists, its pinned digest, what its header names. */
async function csvDatasetProblems(files: DatasetFiles, spec: CsvDatasetSpec): Promise<ValidationProblem[]> {
  try {
    await files.check(spec.path);
  } catch (err) {
    return [{ path: 'dataset.path', message: (err as Error).message }];
  }
  const digest = await pinnedDigestProblems(files, spec);
  if (digest.length > 0) return digest;
  const header = await files.header(spec.path).catch(() => undefined);
  return header === undefined ? [] : headerProblems(header, spec);
}

/** A problem of the appended CSV, said where the request names it (`append_training.…`, not `dataset.…`). */
function underAppendTraining(problem: ValidationProblem): ValidationProblem {
  return { ...problem, path: problem.path.replace(/^dataset\./, 'append_training.') };
}

/** A pinned digest the file's bytes no longer match (read only when the request pins one). */
async function pinnedDigestProblems(files: DatasetFiles, spec: CsvDatasetSpec): Promise<ValidationProblem[]> {
  if (spec.digest === undefined) return [];
  let actual: string;
  try {
    actual = await files.sha256(spec.path);
  } catch (err) {
    return [{ path: 'dataset.path', message: (err as Error).message }];
  }
  return actual === spec.digest
    ? []
    : [{ path: 'dataset.digest', message: digestMismatch(spec.path, spec.digest, actual) }];
}

async function record(bus: TrainerBus, decision: IntakeDecision): Promise<void> {
  if (!decision.accepted) {
    await bus.publishEvent(SUBJECTS.tuneRejected, rejection(decision.tuningId, decision.errors), randomUUID());
    return;
  }
  const work = {
    tuning_id: decision.tuningId,
    trial_count: decision.trialCount,
    requested_at: new Date().toISOString(),
    request: decision.request,
  };
  await bus.publishEvent(SUBJECTS.tuningRequested, work, decision.tuningId);
}

function logDecision(logger: Logger, decision: IntakeDecision): void {
  if (decision.accepted) {
    logger.info({ tuning_id: decision.tuningId, trial_count: decision.trialCount }, 'tune request accepted');
  } else {
    logger.warn({ tuning_id: decision.tuningId, errors: decision.errors }, 'tune request rejected');
  }
}
