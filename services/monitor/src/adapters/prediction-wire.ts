import { type EventOf, RAW_COLUMNS_CODING } from '@mlops/contracts';
import type { PredictionBatch } from '../domain/prediction-batch.js';

/** Decodes a `prediction.logged` event (doubles packed little-endian in base64) into a batch. */
export function decodePrediction(event: EventOf<'prediction.logged'>, sequence: number): PredictionBatch {
  const d = event.data;
  return {
    model: d.model,
    version: d.version,
    requests: d.requests.map((r) => ({
      requestId: r.request_id,
      predictedAtMs: Date.parse(r.predicted_at),
      rows: r.rows,
      ...(r.first_row === undefined ? {} : { firstRow: r.first_row }),
      ...(r.request_rows === undefined ? {} : { requestRows: r.request_rows }),
      ...(r.client === undefined ? {} : { client: r.client }),
    })),
    rows: d.rows,
    columns: d.columns,
    features: unpackDoubles(d.features),
    rawColumns: d.features_coding === RAW_COLUMNS_CODING,
    probabilities: unpackDoubles(d.probabilities),
    labels: unpackDoubles(d.labels),
    sequence,
  };
}

/** base64 of little-endian doubles → Float64Array (copied, so it is aligned and owns its memory). */
export function unpackDoubles(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  const out = new Float64Array(bytes.length / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
