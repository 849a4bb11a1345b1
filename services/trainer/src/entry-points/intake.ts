import { randomUUID } from 'node:crypto';
import { eventType, makeEnvelope, STREAMS, SUBJECTS, type TuneRequest } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { checkDatasetFile } from '../adapters/csv-files.js';
import { decideTuneRequest, type IntakeDecision, rejectionEvent, replyFor } from '../domain/intake.js';
import type { TrainerBus } from './trainer-bus.js';

/**
 * The `tune.requested` intake (a core NATS queue subscription): validates each request, stores accepted ones on
 * the durable `tuning.requested` queue, records rejections as `tune.rejected`, and answers the reply subject if any.
 * Accepted is only said after JetStream acknowledged the stored request.
 */
export function startIntake(bus: TrainerBus, dataDir: string, source: string, logger: Logger) {
  const checkDataset = async (request: TuneRequest) => {
    if (request.dataset.kind !== 'csv') return [];
    try {
      await checkDatasetFile(dataDir, request.dataset.path);
      return [];
    } catch (err) {
      return [{ path: 'dataset.path', message: (err as Error).message }];
    }
  };
  return bus.serveRequests(SUBJECTS.tuneRequested, 'trainer-intake', async (body) => {
    const decision = await decideTuneRequest(body, checkDataset);
    await record(bus, decision, source);
    logDecision(logger, decision);
    return replyFor(decision);
  });
}

async function record(bus: TrainerBus, decision: IntakeDecision, source: string): Promise<void> {
  if (decision.accepted) {
    const event = makeEnvelope({
      type: eventType(SUBJECTS.tuningRequested),
      id: `${SUBJECTS.tuningRequested}:${decision.tuningId}`,
      source,
      data: {
        tuning_id: decision.tuningId,
        trial_count: decision.trialCount,
        requested_at: new Date().toISOString(),
        request: decision.request,
      },
    });
    await bus.publishEvent(SUBJECTS.tuningRequested, event);
    return;
  }
  const event = rejectionEvent({ id: randomUUID(), source, tuningId: decision.tuningId, errors: decision.errors });
  await bus.publishEvent(SUBJECTS.tuneRejected, event);
}

function logDecision(logger: Logger, decision: IntakeDecision): void {
  if (decision.accepted) {
    logger.info({ tuning_id: decision.tuningId, trial_count: decision.trialCount }, 'tune request accepted');
  } else {
    logger.warn({ tuning_id: decision.tuningId, errors: decision.errors }, 'tune request rejected');
  }
}

/** The stream that holds the trainer's work queue. */
export const WORK_STREAM = STREAMS.tuneRequests.name;
