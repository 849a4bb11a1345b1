/** The format tag of our own weights file. */
export const WEIGHTS_FORMAT = 'mlops.logistic-regression/v1';

/** Our own weights file: what the predictor loads (exact float64, no ONNX runtime needed). */
export interface WeightsFile {
  readonly format: typeof WEIGHTS_FORMAT;
  readonly classes: readonly [number, number];
  readonly coef: readonly number[];
  readonly intercept: number;
  readonly feature_names: readonly string[];
  readonly solver: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly trained_at: string;
  readonly dataset_digest: string;
}

/** Thrown when a model file is not what it claims to be; names the field. */
export class ModelFormatError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ModelFormatError';
  }
}

/** Serialises the weights (float64 numbers survive JSON exactly). */
export function serializeWeights(weights: Omit<WeightsFile, 'format'>): string {
  return `${JSON.stringify({ format: WEIGHTS_FORMAT, ...weights }, null, 2)}\n`;
}

/** Parses and validates a weights file strictly. */
export function parseWeights(text: string): WeightsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError('weights.json', `not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) throw new ModelFormatError('weights.json', 'not a JSON object');
  const w = raw as Record<string, unknown>;
  if (w.format !== WEIGHTS_FORMAT)
    throw new ModelFormatError('format', `expected ${WEIGHTS_FORMAT}, got ${JSON.stringify(w.format)}`);
  const coef = finiteArray(w.coef, 'coef');
  if (coef.length === 0) throw new ModelFormatError('coef', 'is empty');
  if (typeof w.intercept !== 'number' || !Number.isFinite(w.intercept)) {
    throw new ModelFormatError('intercept', 'must be a finite number');
  }
  const classes = finiteArray(w.classes, 'classes');
  if (classes.length !== 2 || classes[0] === classes[1])
    throw new ModelFormatError('classes', 'must be two distinct numbers');
  const names = w.feature_names;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string') || names.length !== coef.length) {
    throw new ModelFormatError('feature_names', `must be ${coef.length} strings, one per coefficient`);
  }
  return raw as WeightsFile;
}

function finiteArray(value: unknown, field: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new ModelFormatError(field, 'must be an array of finite numbers');
  }
  return value as number[];
}
