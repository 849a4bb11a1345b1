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
  const outOfType = firstOutOfType(tensor.datatype, data);
  if (outOfType !== undefined) throw new BadScoringRequest(outOfType);
  return { id: request.id, X: { rows, cols, data } };
}

/** The integer datatypes' ranges (64-bit ones as far as a JSON number is exact). */
const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  INT8: [-(2 ** 7), 2 ** 7 - 1],
  INT16: [-(2 ** 15), 2 ** 15 - 1],
  INT32: [-(2 ** 31), 2 ** 31 - 1],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT8: [0, 2 ** 8 - 1],
  UINT16: [0, 2 ** 16 - 1],
  UINT32: [0, 2 ** 32 - 1],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};

/** Why a value does not fit the tensor's integer datatype (a fraction, or out of its range); undefined when all fit. */
function firstOutOfType(datatype: string, data: Float64Array): string | undefined {
  const range = INTEGER_RANGES[datatype];
  if (range === undefined) return undefined;
  const [low, high] = range;
  const at = data.findIndex((value) => !Number.isInteger(value) || value < low || value > high);
  if (at < 0) return undefined;
  return `inputs[0].data[${at}] is ${data[at]}: ${datatype} values are integers from ${low} to ${high}`;
}

function countValues(data: readonly (number | readonly number[])[]): number {
  let n = 0;
  for (const entry of data) n += typeof entry === 'number' ? 1 : entry.length;
  return n;
}
