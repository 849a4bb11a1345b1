import { type Bus, type ConsumerHandle, PoisonMessageError } from '@mlops/bus';
import { CONSUMERS, PREDICTIONS_STREAM_DEFAULTS, STREAMS, SUBJECTS } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { decodePrediction } from '../adapters/prediction-wire.js';
import { newestEpisodes, type StoredEpisode } from '../domain/episode-replay.js';
import type { Monitor } from '../domain/monitor.js';
import type { Retrainer } from '../domain/retrainer.js';

/** Delivery settings of the monitor's durable consumer of the prediction log. */
export function predictionConsumerSpec(windowMs: number) {
  return {
    durable: CONSUMERS.monitorPredictions,
    // A message stays unacknowledged until its window closes: the ack wait must outlast a window.
    ackWaitMs: Math.max(30_000, 2 * windowMs + 10_000),
    maxDeliver: 10,
    maxAckPending: 50_000,
  };
}

/**
 * Provisions what the monitor reads and writes: the prediction log (if no predictor made it yet), labels, events.
 * MONITOR is bounded by size only: an age limit could delete the newest window (a restart's checkpoint) of a quiet
 * monitor, while a size limit deletes the oldest first.
 */
export async function provisionMonitor(bus: Bus, windowMs: number, monitorMaxBytes: number): Promise<void> {
  await bus.ensureDeadLetterStream();
  // The predictor owns the prediction log's limits; the monitor only creates it (with the same defaults) if missing.
  await bus.ensureStream({ ...PREDICTIONS_STREAM_DEFAULTS, ifMissing: true });
  await bus.ensureStream({ ...STREAMS.feedback, maxAgeMs: 7 * 24 * 3600_000 });
  await bus.ensureStream({
    ...STREAMS.monitor,
    maxBytes: monitorMaxBytes,
    maxBytesSetting: 'MONITOR_STREAM_MAX_BYTES',
  });
  await bus.ensureStream({ ...STREAMS.retrain, maxAgeMs: 90 * 24 * 3600_000 });
  await bus.ensureConsumer(STREAMS.predictions.name, predictionConsumerSpec(windowMs));
}

/**
 * How far back a start reads stored windows (a version silent longer, or whose windows MONITOR's size limit deleted,
 * shows no last window; a drift episode older than this counts its judged windows from 0 again: a retrain comes no
 * earlier than without the restart).
 */
const WINDOW_REPLAY_MS = 7 * 24 * 3600_000;

/**
 * Rebuilds the monitor's state at start: checkpoints from the last window, predictions and labels from the streams,
 * and past retrains (cooldown, counts) when retraining is on.
 */
export async function restoreMonitor(
  bus: Bus,
  monitor: Monitor,
  logger: Logger,
  retrainer: Retrainer | undefined,
): Promise<void> {
  const last = await bus.lastEvent(SUBJECTS.monitorWindow);
  monitor.restore(last?.data);
  const onInvalid = (reason: string, seq: number) => logger.warn({ reason, seq }, 'stored message skipped on replay');
  // Every version's last window and its drift episode's judged windows (the last message holds one version's only),
  // from the last WINDOW_REPLAY_MS only: MONITOR keeps up to MONITOR_STREAM_MAX_BYTES, and a start must not read it all.
  const since = new Date(Date.now() - WINDOW_REPLAY_MS);
  const windows = await bus.replayEvents(SUBJECTS.monitorWindow, (event) => monitor.rememberWindow(event.data), {
    onInvalid,
    since,
  });
  for (const episode of await storedEpisodes(bus, onInvalid)) monitor.rememberEpisode(episode);
  const predictions = await bus.replayEvents(
    SUBJECTS.predictionLogged,
    (event, seq) => monitor.rememberPrediction(decodePrediction(event, seq)),
    { onInvalid },
  );
  const labels = await bus.replayEvents(
    SUBJECTS.labelRecorded,
    (event) => monitor.rememberLabel(event.data.prediction_id, event.data.label, Date.parse(event.data.received_at)),
    { onInvalid },
  );
  const retrains = await bus.replayEvents(SUBJECTS.retrainRequested, (event) => retrainer?.remember(event.data), {
    onInvalid,
  });
  await bus.replayEvents(
    SUBJECTS.modelRegistered,
    (event, seq) => monitor.rememberChampion(event.data.name, event.data.version, seq),
    {
      onInvalid,
    },
  );
  monitor.showRestored();
  logger.info(
    {
      retrains: retrains.events,
      windows: windows.events,
      checkpoints: Object.keys(last?.data.checkpoints ?? {}).length,
      predictions: predictions.events,
      labels: labels.events,
    },
    'monitor state restored',
  );
}

/** Counts every logged message's rows in windows; it is acknowledged when the window holding its last rows is reported. */
export async function consumePredictions(bus: Bus, monitor: Monitor, windowMs: number): Promise<ConsumerHandle> {
  const spec = predictionConsumerSpec(windowMs);
  return await bus.consumeEvents(
    CONSUMERS.monitorPredictions,
    {
      [SUBJECTS.predictionLogged]: async (event, message) => {
        let batch: ReturnType<typeof decodePrediction>;
        try {
          batch = decodePrediction(event, message.streamSequence);
        } catch (err) {
          throw new PoisonMessageError(`prediction.logged #${message.streamSequence} cannot be decoded`, {
            cause: err,
          });
        }
        const held = message.hold();
        await monitor.onPrediction(batch, held);
      },
    },
    { ackWaitMs: spec.ackWaitMs, maxDeliver: spec.maxDeliver, prefetch: 256 },
  );
}

/** The newest stored drift and performance event of each version (those after the last window change its state). */
async function storedEpisodes(bus: Bus, onInvalid: (reason: string, seq: number) => void): Promise<StoredEpisode[]> {
  const events: StoredEpisode[] = [];
  const subjects = [
    SUBJECTS.performanceDegraded,
    SUBJECTS.performanceRecovered,
    SUBJECTS.driftDetected,
    SUBJECTS.driftResolved,
  ] as const;
  for (const subject of subjects) {
    await bus.replayEvents(subject, ({ data }, seq) => events.push({ seq, subject, data } as StoredEpisode), {
      onInvalid,
    });
  }
  return newestEpisodes(events);
}
