import type { Bus } from '@mlops/bus';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import type { PredictionLogConfig } from '../config.js';
import type { PredictionLogMetrics } from './metrics.js';
import { BufferedPredictionLog } from './prediction-log.js';

/** Request ids are unique, so a re-publish can only follow a lost ack: a short window is enough. */
const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;
/** What NATS carries in one message unless the server says otherwise. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** Creates or updates the PREDICTIONS stream with the configured age and size limits (oldest messages go first). */
export async function provisionPredictionLog(bus: Bus, config: PredictionLogConfig): Promise<void> {
  await bus.ensureStream({
    ...STREAMS.predictions,
    maxAgeMs: config.streamMaxAgeMs,
    maxBytes: config.streamMaxBytes,
    maxBytesSetting: 'PREDICTOR_LOG_MAX_BYTES',
    duplicateWindowMs: Math.min(DUPLICATE_WINDOW_MS, config.streamMaxAgeMs),
  });
}

/** The prediction log publishing `prediction.logged` on `bus`, keyed by request id. */
export function createPredictionLog(
  bus: Bus,
  config: PredictionLogConfig,
  metrics: PredictionLogMetrics,
  logger: Logger,
): BufferedPredictionLog {
  return new BufferedPredictionLog(
    (data, key) => bus.publishEvent(SUBJECTS.predictionLogged, data, { key }),
    {
      sampleRate: config.sampleRate,
      bufferBytes: config.bufferBytes,
      maxInFlight: config.maxInFlight,
      lingerMs: config.lingerMs,
      maxPayload: () => bus.connection.info?.max_payload ?? DEFAULT_MAX_PAYLOAD,
    },
    metrics,
    logger,
  );
}
