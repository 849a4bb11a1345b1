import type { WireMetric } from './run-types.js';
import { doubleToWire, type WireKeyValue } from './wire.js';

/** A metric to log; `timestamp` defaults to now, so pass it when the call may be repeated (identical rows dedupe). */
export interface MetricInput {
  readonly key: string;
  readonly value: number;
  readonly timestamp?: number;
  readonly step?: number;
  /** The LoggedModel the value describes (MLflow 3): the metric then also shows on the model in the Models tab. */
  readonly modelId?: string;
}

/** Input of `logBatch`: any number of entities, split into requests the server accepts. */
export interface LogBatchInput {
  readonly runId: string;
  readonly metrics?: readonly MetricInput[];
  /** Write-once: the same value again is a no-op, a different one → MlflowApiError INVALID_PARAMETER_VALUE. */
  readonly params?: Readonly<Record<string, string>>;
  /** Overwrite on repeat. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The body of one runs/log-batch request. */
export interface LogBatchChunk {
  readonly metrics: WireMetric[];
  readonly params: WireKeyValue[];
  readonly tags: WireKeyValue[];
}

/** Server limits of one runs/log-batch request (`mlflow/utils/validation.py`). */
export const LOG_BATCH_LIMITS = {
  metrics: 1000,
  params: 100,
  tags: 100,
  entities: 1000,
  /** 1 MB, less room for the envelope. */
  bytes: 1_000_000 - 4096,
} as const;

type Kind = keyof LogBatchChunk;

/** Splits a batch into chunks within every limit: params first, then tags, then metrics, order kept. */
export function chunkLogBatch(input: LogBatchInput, now: number = Date.now()): LogBatchChunk[] {
  const items: [Kind, WireMetric | WireKeyValue][] = [
    ...Object.entries(input.params ?? {}).map(([key, value]): [Kind, WireKeyValue] => ['params', { key, value }]),
    ...Object.entries(input.tags ?? {}).map(([key, value]): [Kind, WireKeyValue] => ['tags', { key, value }]),
    ...(input.metrics ?? []).map((metric): [Kind, WireMetric] => ['metrics', metricToWire(metric, now)]),
  ];
  const chunks: LogBatchChunk[] = [];
  let current = emptyChunk();
  let bytes = 0;
  for (const [kind, item] of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (!fits(current, kind, bytes + size)) {
      chunks.push(current);
      current = emptyChunk();
      bytes = 0;
    }
    (current[kind] as (WireMetric | WireKeyValue)[]).push(item);
    bytes += size;
  }
  if (countOf(current) > 0) chunks.push(current);
  return chunks;
}

function metricToWire(metric: MetricInput, now: number): WireMetric {
  return {
    key: metric.key,
    value: doubleToWire(metric.value),
    timestamp: metric.timestamp ?? now,
    step: metric.step ?? 0,
    ...(metric.modelId === undefined ? {} : { model_id: metric.modelId }),
  };
}

function fits(chunk: LogBatchChunk, kind: Kind, bytesAfter: number): boolean {
  if (countOf(chunk) === 0) return true;
  return (
    chunk[kind].length < LOG_BATCH_LIMITS[kind] &&
    countOf(chunk) < LOG_BATCH_LIMITS.entities &&
    bytesAfter <= LOG_BATCH_LIMITS.bytes
  );
}

function countOf(chunk: LogBatchChunk): number {
  return chunk.metrics.length + chunk.params.length + chunk.tags.length;
}

function emptyChunk(): LogBatchChunk {
  return { metrics: [], params: [], tags: [] };
}
