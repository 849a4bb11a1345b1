import { InvalidDataError, InvalidParameterError } from '../errors.js';
import type { DenseMatrix } from '../matrix.js';
import { mostFrequentCategory, type NumericImputeStrategy, numericImputeValue } from './imputer.js';
import {
  type Category,
  categoryAt,
  columnNamed,
  compareCategories,
  type RawColumn,
  type RawTable,
} from './raw-table.js';
import { standardScalerStatistics } from './scaler.js';

/** How missing cells of a categorical column are handled. */
export const CATEGORICAL_MISSING = ['most_frequent', 'category'] as const;
/**
 * `most_frequent`: SimpleImputer(strategy="most_frequent") before the encoder; `category`: no imputer, a missing
 * cell is a category of its own (OneHotEncoder's own handling, sorted last).
 */
export type CategoricalMissing = (typeof CATEGORICAL_MISSING)[number];

/** The preprocessing a tuning applies before LogisticRegression (each choice can be a grid axis). */
export interface PreprocessingOptions {
  readonly numericImpute: NumericImputeStrategy;
  /** The fill of `numericImpute: "constant"`. @defaultValue 0 (scikit-learn's) */
  readonly numericFill?: number;
  /** StandardScaler on the numeric columns, after imputation. */
  readonly scale: boolean;
  readonly categoricalMissing: CategoricalMissing;
}

/** Which columns feed the model, and as what (the rest is dropped, as ColumnTransformer's remainder="drop"). */
export interface FeatureColumns {
  readonly numeric: readonly string[];
  readonly categorical: readonly string[];
}

/** A numeric column's fitted steps: the imputer's fill, and the scaler's mean and scale when scaling. */
export interface FittedNumericColumn {
  readonly name: string;
  readonly fill: number;
  readonly mean: number | null;
  readonly scale: number | null;
}

/** A categorical column's fitted steps: the imputer's fill (null: missing is a category) and the sorted categories. */
export interface FittedCategoricalColumn {
  readonly name: string;
  readonly kind: RawColumn['kind'];
  readonly fill: Category;
  readonly categories: readonly Category[];
}

/**
 * A fitted ColumnTransformer of [("num", SimpleImputer → StandardScaler?, numeric), ("cat", SimpleImputer? →
 * OneHotEncoder(handle_unknown="ignore"), categorical)]: plain data, so a model file can record it.
 */
export interface FittedPreprocessor {
  readonly numeric: readonly FittedNumericColumn[];
  readonly categorical: readonly FittedCategoricalColumn[];
}

/** Learns every step from the training rows (scikit-learn's fit of the same ColumnTransformer). */
export function fitPreprocessor(
  table: RawTable,
  features: FeatureColumns,
  options: PreprocessingOptions,
): FittedPreprocessor {
  if (features.numeric.length + features.categorical.length === 0) {
    throw new InvalidParameterError('features', '[]', 'at least one numeric or categorical column');
  }
  const numeric = features.numeric.map((name) => fitNumeric(columnNamed(table, name), options));
  const categorical = features.categorical.map((name) => fitCategorical(columnNamed(table, name), options));
  return { numeric, categorical };
}

function fitNumeric(column: RawColumn, options: PreprocessingOptions): FittedNumericColumn {
  if (column.kind !== 'number') {
    const example = column.values.find((v) => v !== null);
    throw new InvalidDataError(`column "${column.name}" holds text (e.g. "${example}"), it cannot be numeric`);
  }
  const fill = numericImputeValue(column.name, column.values, options.numericImpute, options.numericFill);
  if (!options.scale) return { name: column.name, fill, mean: null, scale: null };
  const imputed = column.values.map((v) => (Number.isNaN(v) ? fill : v));
  const { mean, scale } = standardScalerStatistics(imputed);
  return { name: column.name, fill, mean, scale };
}

function fitCategorical(column: RawColumn, options: PreprocessingOptions): FittedCategoricalColumn {
  const fill = byCategory(options) ? null : mostFrequentCategory(column);
  const seen = new Set<Category>();
  for (let i = 0; i < column.values.length; i++) seen.add(categoryAt(column, i) ?? fill);
  const categories = [...seen].sort(compareCategories);
  return { name: column.name, kind: column.kind, fill, categories };
}

const byCategory = (options: PreprocessingOptions) => options.categoricalMissing === 'category';

/** The width of the transformed matrix: one column per numeric column, one per category of each categorical. */
export function encodedWidth(fitted: FittedPreprocessor): number {
  return fitted.categorical.reduce((width, c) => width + c.categories.length, fitted.numeric.length);
}

/** Names of the transformed columns: `tenure`, then `plan_basic`, `plan_plus`, … (`plan_nan` for missing). */
export function encodedFeatureNames(fitted: FittedPreprocessor): string[] {
  return [
    ...fitted.numeric.map((c) => c.name),
    ...fitted.categorical.flatMap((c) => c.categories.map((category) => `${c.name}_${category ?? 'nan'}`)),
  ];
}

/** A fitted preprocessor ready to transform many tables (category look-ups built once). */
export interface CompiledPreprocessor {
  readonly width: number;
  /** The transformed rows, scikit-learn's `transform`: imputed, scaled, one-hot encoded (unseen categories → 0). */
  transform(table: RawTable): DenseMatrix;
  /** Raw columns (numeric, then categorical) coded: numbers as sent, category indices (unseen: count), NaN missing. */
  codes(table: RawTable): DenseMatrix;
}

/** Builds the look-ups of a fitted preprocessor once, for repeated transforms (serving). */
export function compilePreprocessor(fitted: FittedPreprocessor): CompiledPreprocessor {
  const width = encodedWidth(fitted);
  const rawWidth = fitted.numeric.length + fitted.categorical.length;
  const lookups = fitted.categorical.map((c) => new Map(c.categories.map((category, k) => [category, k])));
  return {
    width,
    transform(table) {
      const out = new Float64Array(table.rows * width);
      fitted.numeric.forEach((step, j) => {
        writeNumeric(out, width, j, step, columnNamed(table, step.name));
      });
      let offset = fitted.numeric.length;
      fitted.categorical.forEach((step, k) => {
        writeOneHot(out, width, offset, step, lookups[k]!, columnNamed(table, step.name));
        offset += step.categories.length;
      });
      return { rows: table.rows, cols: width, data: out };
    },
    codes(table) {
      const out = new Float64Array(table.rows * rawWidth);
      fitted.numeric.forEach((step, j) => {
        writeNumberCodes(out, rawWidth, j, numberValues(step, columnNamed(table, step.name)));
      });
      const offset = fitted.numeric.length;
      fitted.categorical.forEach((step, k) => {
        const column = categoricalColumn(step, columnNamed(table, step.name));
        writeCategoryCodes(out, rawWidth, offset + k, step, lookups[k]!, column);
      });
      return { rows: table.rows, cols: rawWidth, data: out };
    },
  };
}

/** The values of the column fitted as `step`, which must hold numbers. */
function numberValues(step: FittedNumericColumn, column: RawColumn): Float64Array {
  if (column.kind !== 'number') throw new InvalidDataError(`column "${step.name}" must hold numbers, got text`);
  return column.values;
}

/** The column fitted as `step`, which must hold what it held when fitted (numbers or text). */
function categoricalColumn(step: FittedCategoricalColumn, column: RawColumn): RawColumn {
  if (column.kind !== step.kind) {
    throw new InvalidDataError(`column "${step.name}" must hold ${step.kind === 'number' ? 'numbers' : 'text'}`);
  }
  return column;
}

function writeNumeric(out: Float64Array, width: number, j: number, step: FittedNumericColumn, column: RawColumn): void {
  const values = numberValues(step, column);
  const { fill, mean, scale } = step;
  for (let i = 0; i < values.length; i++) {
    const raw = values[i]!;
    const value = Number.isNaN(raw) ? fill : raw;
    out[i * width + j] = mean === null || scale === null ? value : (value - mean) / scale;
  }
}

function writeOneHot(
  out: Float64Array,
  width: number,
  offset: number,
  step: FittedCategoricalColumn,
  lookup: ReadonlyMap<Category, number>,
  column: RawColumn,
): void {
  categoricalColumn(step, column);
  for (let i = 0; i < column.values.length; i++) {
    const value = categoryAt(column, i) ?? step.fill;
    const k = lookup.get(value);
    if (k !== undefined) out[i * width + offset + k] = 1;
  }
}

/** A numeric column as sent, NaN where missing. */
function writeNumberCodes(out: Float64Array, width: number, j: number, values: Float64Array): void {
  for (let i = 0; i < values.length; i++) out[i * width + j] = values[i]!;
}

/** A categorical column as category indices: the one-hot position, the category count when unseen, NaN if missing. */
function writeCategoryCodes(
  out: Float64Array,
  width: number,
  j: number,
  step: FittedCategoricalColumn,
  lookup: ReadonlyMap<Category, number>,
  column: RawColumn,
): void {
  const unseen = step.categories.length;
  for (let i = 0; i < column.values.length; i++) {
    const value = categoryAt(column, i);
    out[i * width + j] = value === null ? Number.NaN : (lookup.get(value) ?? unseen);
  }
}
