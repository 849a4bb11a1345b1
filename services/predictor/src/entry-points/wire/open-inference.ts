import type { DenseMatrix } from '@mlops/ml';
import { BadScoringRequest, checkRowCount, type ScoringLimits } from '../../domain/scoring-rules.js';
import { INFER_OUTPUTS, InferRequestSchema } from './schemas.js';
import { validateBody } from './scoring-request.js';

/** A parsed Open Inference Protocol V2 request: the rows to score, the id to echo and the outputs asked for. */
export interface InferRequest {
  readonly id: string | undefined;
  readonly X: DenseMatrix;
  readonly outputs: readonly InferOutput[] | undefined;
}

export { INFER_OUTPUTS };

/** One of {@link INFER_OUTPUTS}. */
export type InferOutput = (typeof INFER_OUTPUTS)[number];

/**
 * The outputs an infer request names (`outputs`, each by `name`), in the order the answer holds them; undefined when
 * it names none or gives an empty list (all of them). A name the model has no output for is a 400, as Triton and KServe answer.
 */
export function requestedOutputs(body: unknown): InferOutput[] | undefined {
  const outputs = (body as { outputs?: unknown } | null)?.outputs;
  // None named, or an empty list: every output (as Triton and KServe answer).
  if (outputs === undefined || (Array.isArray(outputs) && outputs.length === 0)) return undefined;
  if (!Array.isArray(outputs)) throw new BadScoringRequest('outputs must be an array of {"name": …}');
  const names = outputs.map((output, i) => {
    const name = (output as { name?: unknown } | null)?.name;
    if (!INFER_OUTPUTS.includes(name as InferOutput)) {
      throw new BadScoringRequest(
        `outputs[${i}].name ${JSON.stringify(name ?? null)}: this model's outputs are ${INFER_OUTPUTS.join(', ')}`,
      );
    }
    return name as InferOutput;
  });
  return INFER_OUTPUTS.filter((name) => names.includes(name));
}

/** The request's `id` to echo (a string), undefined when absent; any other type is a 400. */
export function inferId(body: unknown): string | undefined {
  const id = (body as { id?: unknown } | null)?.id;
  if (id === undefined || typeof id === 'string') return id;
  throw new BadScoringRequest(`id must be a string, got ${JSON.stringify(id)}`);
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
  const nested = tensor.data.some((entry) => typeof entry !== 'number');
  const outOfType = firstOutOfType(tensor.datatype, data, 'inputs[0]', nested ? cols : undefined);
  if (outOfType !== undefined) throw new BadScoringRequest(outOfType);
  return { id: request.id, X: { rows, cols, data }, outputs: requestedOutputs(body) };
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

/** The largest finite magnitudes of the floating-point datatypes narrower than a double. */
const FLOAT_LIMITS: Readonly<Record<string, number>> = { FP16: 65504, FP32: 3.4028234663852886e38 };

/**
 * Why a value of tensor `where` does not fit its datatype (an integer type's fraction or range, a narrow float's
 * range); undefined when all fit. Only numbers are checked: a table column's null (missing) is not, and anything
 * else is refused by the cell readers. With `rowWidth` (data sent nested by row) a value is named `[row][column]`.
 */
export function firstOutOfType(
  datatype: string,
  data: ArrayLike<unknown>,
  where: string,
  rowWidth?: number,
): string | undefined {
  const range = INTEGER_RANGES[datatype];
  const limit = FLOAT_LIMITS[datatype];
  if (range === undefined && limit === undefined) return undefined; // FP64: any finite double
  for (let at = 0; at < data.length; at++) {
    const value = data[at];
    if (typeof value !== 'number' || Number.isNaN(value)) continue;
    const index = rowWidth === undefined ? `[${at}]` : `[${Math.floor(at / rowWidth)}][${at % rowWidth}]`;
    if (range !== undefined && (!Number.isInteger(value) || value < range[0] || value > range[1])) {
      return `${where}.data${index} is ${value}: ${datatype} values are integers from ${range[0]} to ${range[1]}`;
    }
    if (limit !== undefined && Math.abs(value) > limit) {
      return `${where}.data${index} is ${value}: ${datatype} values are at most ${limit} in magnitude`;
    }
  }
  return undefined;
}

function countValues(data: readonly (number | readonly number[])[]): number {
  let n = 0;
  for (const entry of data) n += typeof entry === 'number' ? 1 : entry.length;
  return n;
}
