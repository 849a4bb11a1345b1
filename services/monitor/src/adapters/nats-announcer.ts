import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus } from '@mlops/bus';
import { type EventData, type EventSubject, SUBJECTS } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import type { MonitorAnnouncer } from '../domain/ports.js';

/**
 * Publishes the monitor's events, retrying until NATS takes them or the monitor stops: a window is never acknowledged
 * before its event is stored. Ids name the fact, so a retry or a replay after a restart is stored once.
 */
export function natsAnnouncer(bus: Bus, logger: Logger, stopping: AbortSignal): MonitorAnnouncer {
  const publish = async <S extends EventSubject>(subject: S, data: EventData<S>, key: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await bus.publishEvent(subject, data, { key });
        return;
      } catch (err) {
        if (stopping.aborted) throw err;
        logger.warn({ err, subject, key, attempt }, 'event not stored yet: retrying');
        await sleep(Math.min(1000 * attempt, 15_000));
      }
    }
  };
  return {
    window: (d) => publish(SUBJECTS.monitorWindow, d, `${d.model}:${d.version}:${d.window}`),
    driftDetected: (d) => publish(SUBJECTS.driftDetected, d, `${d.model}:${d.version}:${d.window}`),
    driftResolved: (d) => publish(SUBJECTS.driftResolved, d, `${d.model}:${d.version}:${d.window}`),
    performanceDegraded: (d) => publish(SUBJECTS.performanceDegraded, d, `${d.model}:${d.version}:${d.episode}`),
    performanceRecovered: (d) => publish(SUBJECTS.performanceRecovered, d, `${d.model}:${d.version}:${d.episode}`),
    labelRecorded: (d) => publish(SUBJECTS.labelRecorded, d, d.prediction_id),
    retrainRequested: (d) => publish(SUBJECTS.retrainRequested, d, d.retrain_id),
    retrainSkipped: (d, key) => publish(SUBJECTS.retrainSkipped, d, key),
    retrainFailed: (d) => publish(SUBJECTS.retrainFailed, d, d.retrain_id),
  };
}
