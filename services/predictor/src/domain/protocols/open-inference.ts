import type { DenseMatrix } from '@mlops/ml';
import { BadScoringRequest } from '../scoring-request.js';

const NUMERIC = new Set([
  'FP16',
  'FP32',
  'FP64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
]);

/** A parsed Open Inference Protocol V2 request: the rows to score and the id to echo. */
export interface InferRequest {
  readonly id: string | undefined;
  readonly X: DenseMatrix;
}

/** `POST /v2/models/{name}/infer`: one numeric input tensor of shape [N, F], data flat (row-major) or nested. */
export function parseInferRequest(body: unknown, width: number, maxRows: number): InferRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new BadScoringRequest('the body must be a JSON object');
  const { id, inputs } = body as { id?: unknown; inputs?: unknown };
  if (id !== undefined && typeof id !== 'string') throw new BadScoringRequest('"id" must be a string');
  if (!Array.isArray(inputs) || inputs.length !== 1)
    throw new BadScoringRequest('"inputs" must hold exactly one tensor');
  const tensor = inputs[0] as { name?: unknown; shape?: unknown; datatype?: unknown; data?: unknown };
  if (typeof tensor?.datatype !== 'string' || !NUMERIC.has(tensor.datatype)) {
    throw new BadScoringRequest(`inputs[0].datatype must be one of ${[...NUMERIC].join(', ')}`);
  }
  const shape = tensor.shape;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new BadScoringRequest(`inputs[0].shape must be [rows, ${width}]`);
  }
  const [rows, cols] = shape as [number, number];
  if (cols !== width) throw new BadScoringRequest(`inputs[0].shape[1] is ${cols}, the model expects ${width} features`);
  if (rows === 0) throw new BadScoringRequest('inputs[0] has no rows');
  if (rows > maxRows) throw new BadScoringRequest(`inputs[0] has ${rows} rows, at most ${maxRows}`);
  const flat = Array.isArray(tensor.data) ? (tensor.data as unknown[]).flat(2) : undefined;
  if (flat === undefined || flat.length !== rows * cols) {
    throw new BadScoringRequest(`inputs[0].data must hold ${rows * cols} numbers (shape ${rows}×${cols})`);
  }
  const data = new Float64Array(flat.length);
  flat.forEach((v, k) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new BadScoringRequest(`inputs[0].data[${k}] must be a finite number`);
    data[k] = v;
  });
  return { id, X: { rows, cols, data } };
}
