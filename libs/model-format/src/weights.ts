import { encodedWidth, type FittedPreprocessor } from '@mlops/ml';

/** The format tag of our own weights file. */
export const WEIGHTS_FORMAT = 'mlops.logistic-regression/v1';

/** A raw column a table model takes (the MLmodel signature's columns). */
export interface InputColumnEntry {
  readonly name: string;
  readonly kind: 'number' | 'text';
  readonly role: 'numeric' | 'categorical';
}

/** A class's own label (the target's text, or its number). */
export type ClassLabel = number | string;

/** Our own weights file: what the predictor loads (exact float64, no ONNX runtime needed). */
export interface WeightsFile {
  readonly format: typeof WEIGHTS_FORMAT;
  readonly classes: readonly [number, number];
  readonly coef: readonly number[];
  readonly intercept: number;
  /** One per coefficient (a table model's encoded columns). */
  readonly feature_names: readonly string[];
  /** A table model's raw input columns, in the preprocessor's order (absent: the model takes feature_names). */
  readonly input_columns?: readonly InputColumnEntry[];
  /** A table model's fitted preprocessing (imputers, scaler, one-hot encoder); present with input_columns. */
  readonly preprocessing?: FittedPreprocessor;
  /** The target's labels of classes 0 and 1, when they are text. */
  readonly class_labels?: readonly [ClassLabel, ClassLabel];
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
  checkTableParts(w, coef.length);
  checkClassLabels(w.class_labels);
  return raw as WeightsFile;
}

/** A table model's input columns and preprocessing: both or neither, consistent with each other and with coef. */
function checkTableParts(w: Record<string, unknown>, width: number): void {
  if (w.input_columns === undefined && w.preprocessing === undefined) return;
  const columns = w.input_columns;
  if (!Array.isArray(columns) || columns.length === 0 || !columns.every(isInputColumn)) {
    throw new ModelFormatError('input_columns', 'must be {name, kind: number|text, role: numeric|categorical} objects');
  }
  const p = w.preprocessing as FittedPreprocessor | undefined;
  if (typeof p !== 'object' || p === null || !Array.isArray(p.numeric) || !Array.isArray(p.categorical)) {
    throw new ModelFormatError('preprocessing', 'must be {numeric: [...], categorical: [...]} with input_columns');
  }
  const stepNames = [...p.numeric.map((c) => c.name), ...p.categorical.map((c) => c.name)];
  if (stepNames.join('\u0000') !== columns.map((c: InputColumnEntry) => c.name).join('\u0000')) {
    throw new ModelFormatError('preprocessing', `columns ${stepNames.join(', ')} differ from input_columns`);
  }
  if (!p.categorical.every((c) => Array.isArray(c.categories) && c.categories.length > 0)) {
    throw new ModelFormatError('preprocessing', 'every categorical column needs its categories');
  }
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const numericOk = p.numeric.every(
    (c) =>
      finite(c.fill) && (c.mean === null || finite(c.mean)) && (c.scale === null || (finite(c.scale) && c.scale > 0)),
  );
  if (!numericOk)
    throw new ModelFormatError('preprocessing', 'numeric fill, mean and scale must be finite (scale > 0)');
  const steps = [
    ...p.numeric.map((c) => ({ name: c.name, kind: 'number', role: 'numeric' })),
    ...p.categorical.map((c) => ({ name: c.name, kind: c.kind, role: 'categorical' })),
  ];
  const entries = columns as InputColumnEntry[];
  const differs = steps.findIndex((step, i) => step.kind !== entries[i]?.kind || step.role !== entries[i]?.role);
  if (differs >= 0) {
    const [step, entry] = [steps[differs]!, entries[differs]!];
    throw new ModelFormatError(
      'input_columns',
      `"${step.name}" is ${entry.kind}/${entry.role}, the preprocessing has ${step.kind}/${step.role}`,
    );
  }
  if (encodedWidth(p) !== width) {
    throw new ModelFormatError('preprocessing', `encodes ${encodedWidth(p)} columns, coef has ${width}`);
  }
}

function isInputColumn(value: unknown): value is InputColumnEntry {
  const c = value as InputColumnEntry;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.name === 'string' &&
    (c.kind === 'number' || c.kind === 'text') &&
    (c.role === 'numeric' || c.role === 'categorical')
  );
}

function checkClassLabels(labels: unknown): void {
  if (labels === undefined) return;
  const ok =
    Array.isArray(labels) &&
    labels.length === 2 &&
    labels[0] !== labels[1] &&
    labels.every((l) => typeof l === 'string' || (typeof l === 'number' && Number.isFinite(l)));
  if (!ok) throw new ModelFormatError('class_labels', 'must be two distinct labels (text or numbers)');
}

function finiteArray(value: unknown, field: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new ModelFormatError(field, 'must be an array of finite numbers');
  }
  return value as number[];
}
