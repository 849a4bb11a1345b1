import { createHash, randomUUID } from 'node:crypto';
import { SUBJECTS, type TuneRequest, type ValidationProblem } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { digestMismatch } from '../domain/data-source.js';
import { type DatasetCheck, decideTuneRequest, type IntakeDecision, rejection, replyFor } from '../domain/intake.js';
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

/** JetStream's de-duplication window on TUNE_REQUESTS, less a margin: a repeat inside it is stored once. */
const REPEAT_WINDOW_MS = 55 * 60 * 1000;

/**
 * A request naming its own tuning id may come again (a retry, the monitor resending a retrain): accepted again, and
 * stored again only where that cannot run it twice (inside JetStream's duplicate window, or when no trial of it was
 * ever recorded). Any other request under an id already used is refused: the tally would count the earlier trials
 * and close the new tuning early, and the tracker would mix both under one parent run. The request is marked before
 * it is stored, so a crash in between leaves a repeat that is still accepted.
 */
async function claimTuningId(
  bus: TrainerBus,
  decision: IntakeDecision,
  nowMs: number,
): Promise<{ decision: IntakeDecision; store: boolean }> {
  if (!decision.accepted || decision.request.tuning_id === undefined) return { decision, store: true };
  const id = decision.tuningId;
  const print = requestPrint(decision.request);
  const earlier = [...(await bus.tallies.requests(id))];
  const repeats = earlier.filter((mark) => mark.startsWith(`${print}-`));
  if (repeats.length > 0) {
    const inWindow = repeats.some((mark) => nowMs - markedAtMs(mark) < REPEAT_WINDOW_MS);
    return { decision, store: inWindow || (await bus.tallies.recorded(id)) === 0 };
  }
  const recorded = earlier.length > 0 ? 0 : await bus.tallies.recorded(id);
  if (earlier.length === 0 && recorded === 0) {
    await bus.tallies.markRequest(id, `${print}-${Math.floor(nowMs / 60_000)}`);
    return { decision, store: true };
  }
  const what =
    earlier.length > 0
      ? 'another request was accepted under this id'
      : `a tuning with this id has ${recorded} trials recorded`;
  const message = `already taken: ${what} (ids are kept 7 days); choose another id to run a new tuning (the earlier one is unaffected)`;
  return { decision: { accepted: false, tuningId: id, errors: [{ path: 'tuning_id', message }] }, store: true };
}

/** The request's fingerprint: the first 16 hex digits of the SHA-256 of its parsed JSON. */
function requestPrint(request: TuneRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 16);
}

/** When a request mark was made (its minute). */
function markedAtMs(mark: string): number {
  return Number(mark.slice(mark.lastIndexOf('-') + 1)) * 60_000;
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
