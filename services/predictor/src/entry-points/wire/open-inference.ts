import type { DenseMatrix } from '@mlops/ml';
import { BadScoringRequest, checkRowCount, type ScoringLimits } from '../../domain/scoring-rules.js';
import { InferRequestSchema } from './schemas.js';
import { validateBody } from './scoring-request.js';

/** A parsed Open Inference Protocol V2 request: the rows to score and the id to echo. */
export interface InferRequest {
  readonly id: string | undefined;
  readonly X: DenseMatrix;
}

/** `POST /v2/models/{name}/infer`: one numeric input tensor of shape [N, F], data flat (row-major) or nested by row. */
export function parseInferRequest(body: unknown, width: number, limits: ScoringLimits): InferRequest {
  const request = validateBody(InferRequestSchema, body);
  const tensor = request.inputs[0] as (typeof request.inputs)[number];
  if (tensor.shape.length !== 2) throw new BadScoringRequest(`inputs[0].shape must be [rows, ${width}]`);
  const [rows, cols] = tensor.shape as [number, number];
  if (cols !== width) throw new BadScoringRequest(`inputs[0].shape[1] is ${cols}, the model expects ${width} features`);
  checkRowCount(rows, limits, 'inputs[0]');
  const data = new Float64Array(rows * cols);
  let k = 0;
  for (const entry of tensor.data) {
    const values = typeof entry === 'number' ? [entry] : entry;
    if (k + values.length > data.length) break;
    data.set(values, k);
    k += values.length;
  }
  if (k !== data.length || countValues(tensor.data) !== data.length) {
    throw new BadScoringRequest(`inputs[0].data must hold ${rows * cols} numbers (shape ${rows}×${cols})`);
  }
  return { id: request.id, X: { rows, cols, data } };
}

function countValues(data: readonly (number | readonly number[])[]): number {
  let n = 0;
  for (const entry of data) n += typeof entry === 'number' ? 1 : entry.length;
  return n;
}
