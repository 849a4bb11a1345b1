import { randomUUID } from 'node:crypto';
import { SUBJECTS, type TuneRequest, type ValidationProblem } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { digestMismatch } from '../domain/data-source.js';
import {
  claimTuningId,
  type DatasetCheck,
  decideTuneRequest,
  type IntakeDecision,
  markStored,
  rejection,
  replyFor,
  settleStoredClaim,
  type TuningIdClaim,
} from '../domain/intake.js';
import type { DatasetFiles, TrainerBus } from '../domain/ports.js';
import { headerProblems } from '../domain/table-data.js';

type CsvDatasetSpec = Extract<TuneRequest['dataset'], { kind: 'csv' }>;

/**
 * The `tune.requested` intake (a core NATS queue subscription): validates each request, stores accepted ones on
 * the durable `tuning.requested` queue, records rejections as `tune.rejected`, and answers the reply subject if any.
 * Accepted is only said after JetStream acknowledged the stored request.
 */
export async function startIntake(bus: TrainerBus, files: DatasetFiles, logger: Logger) {
  const checkDataset: DatasetCheck = async ({ dataset, append_training: appended }: TuneRequest) => [
    ...(dataset.kind === 'csv' ? await csvDatasetProblems(files, dataset) : []),
    ...(appended?.kind === 'csv' ? (await csvDatasetProblems(files, appended)).map(underAppendTraining) : []),
  ];
  return await bus.serveTuneRequests(async (body) => {
    const sent = await decideTuneRequest(body, checkDataset);
    const asSent = sent.accepted ? sent.request : undefined;
    const claim = await claimTuningId(bus, await withPinnedCsvs(sent, files), Date.now(), asSent);
    const decision = claim.store ? await record(bus, claim, asSent) : claim.decision;
    logDecision(logger, decision);
    return replyFor(decision);
  });
}

/**
 * An accepted request with each CSV pinned to the bytes it names now (its SHA-256 as `digest`): its tuning fits
 * those bytes or is refused, and the same request sent again under its tuning id after the file changed is another
 * request, not a repeat. A file that cannot be hashed now refuses the request.
 */
async function withPinnedCsvs(decision: IntakeDecision, files: DatasetFiles): Promise<IntakeDecision> {
  if (!decision.accepted) return decision;
  const { dataset, append_training: appended } = decision.request;
  const problems: ValidationProblem[] = [];
  const pin = async <D extends TuneRequest['dataset']>(spec: D, at: string): Promise<D> => {
    if (spec.kind !== 'csv' || spec.digest !== undefined) return spec;
    try {
      return { ...spec, digest: await files.sha256(spec.path) };
    } catch (err) {
      problems.push({ path: `${at}.path`, message: (err as Error).message });
      return spec;
    }
  };
  const request = {
    ...decision.request,
    dataset: await pin(dataset, 'dataset'),
    ...(appended === undefined ? {} : { append_training: await pin(appended, 'append_training') }),
  };
  if (problems.length > 0) return { accepted: false, tuningId: decision.tuningId, errors: problems };
  return { ...decision, request };
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
  const header = await files.header(spec.path, spec.delimiter ?? ',').catch(() => undefined);
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

/**
 * Stores an accepted request, marked stored once JetStream has it (or records a refusal); one whose id JetStream
 * holds for another request is refused.
 */
async function record(bus: TrainerBus, claim: TuningIdClaim, asSent: TuneRequest | undefined): Promise<IntakeDecision> {
  const { decision } = claim;
  if (decision.accepted) {
    const work = {
      tuning_id: decision.tuningId,
      trial_count: decision.trialCount,
      requested_at: new Date().toISOString(),
      request: decision.request,
    };
    const outcome = await bus.storeTuning(work, claim.againAfter);
    if (outcome.stored) {
      await markStored(bus, decision, outcome.seq);
      return decision;
    }
    const settled = await settleStoredClaim(bus, decision, outcome, asSent);
    if (!settled.accepted) await publishRejection(bus, settled);
    return settled;
  }
  await publishRejection(bus, decision);
  return decision;
}

async function publishRejection(bus: TrainerBus, decision: IntakeDecision & { accepted: false }): Promise<void> {
  await bus.publishEvent(SUBJECTS.tuneRejected, rejection(decision.tuningId, decision.errors), randomUUID());
}

function logDecision(logger: Logger, decision: IntakeDecision): void {
  if (decision.accepted) {
    logger.info({ tuning_id: decision.tuningId, trial_count: decision.trialCount }, 'tune request accepted');
  } else {
    logger.warn({ tuning_id: decision.tuningId, errors: decision.errors }, 'tune request rejected');
  }
}
