import { randomUUID } from 'node:crypto';
import { SUBJECTS, type TuneRequest } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { type DatasetCheck, decideTuneRequest, type IntakeDecision, rejection, replyFor } from '../domain/intake.js';
import type { DatasetFiles, TrainerBus } from '../domain/ports.js';
import { headerProblems } from '../domain/table-data.js';

/**
 * The `tune.requested` intake (a core NATS queue subscription): validates each request, stores accepted ones on
 * the durable `tuning.requested` queue, records rejections as `tune.rejected`, and answers the reply subject if any.
 * Accepted is only said after JetStream acknowledged the stored request.
 */
export function startIntake(bus: TrainerBus, files: DatasetFiles, logger: Logger) {
  const checkDataset: DatasetCheck = async (request: TuneRequest) => {
    if (request.dataset.kind !== 'csv') return [];
    try {
      await files.check(request.dataset.path);
    } catch (err) {
      return [{ path: 'dataset.path', message: (err as Error).message }];
    }
    const header = await files.header(request.dataset.path).catch(() => undefined);
    return header === undefined ? [] : headerProblems(header, request.dataset);
  };
  return bus.serveTuneRequests(async (body) => {
    const decision = await decideTuneRequest(body, checkDataset);
    await record(bus, decision);
    logDecision(logger, decision);
    return replyFor(decision);
  });
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
