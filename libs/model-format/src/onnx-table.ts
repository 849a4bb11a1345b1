import {
  type Category,
  type FittedCategoricalColumn,
  type FittedNumericColumn,
  type FittedPreprocessor,
  MISSING_CELLS,
} from '@mlops/ml';
import { ONNX_IR_VERSION } from './onnx.js';
import { ONNX_TYPES, onnxNode, onnxTensor, onnxValueInfo } from './onnx-proto.js';
import { ProtoWriter } from './protobuf.js';
import type { ClassLabel } from './weights.js';

/** The default-domain opset of a table model's graph; ai.onnx.ml at 3 for LabelEncoder (onnxruntime ≥ 1.14). */
export const ONNX_TABLE_OPSET = 17;
const ML_DOMAIN = 'ai.onnx.ml';
const ML_OPSET = 3;

/**
 * Strings a missing text cell reaches onnxruntime as: pandas' None and NaN become "None" and "nan" when
 * mlflow.pyfunc feeds an object column; every NA string of pandas.read_csv (MISSING_CELLS) is missing too, as in
 * training and in the predictor, so none of them can be a category.
 */
export const MISSING_TEXT_TOKENS: readonly string[] = [...MISSING_CELLS];

/** A table model as the ONNX graph embeds it: its preprocessing and the logistic regression after it. */
export interface OnnxTableInput {
  readonly preprocessing: FittedPreprocessor;
  readonly coef: readonly number[];
  readonly intercept: number;
  /** The labels of classes 0 and 1: text (a string `label` output) or numbers (a double one). */
  readonly classLabels: readonly [ClassLabel, ClassLabel];
}

/**
 * A ModelProto with one input per raw column ([N] double, or [N] string for text) that imputes, scales and one-hot
 * encodes them exactly as our preprocessing does (core operators in float64, LabelEncoder for text), then outputs
 * `probability` = P(class 1) as double [N, 1] and `label` (the class label) [N, 1]: what mlflow.pyfunc feeds a
 * DataFrame of raw columns into.
 */
export function buildOnnxTableModel(input: OnnxTableInput): Uint8Array {
  return new ProtoWriter()
    .varint(1, ONNX_IR_VERSION)
    .string(2, 'mlops')
    .string(3, '0.1.0')
    .message(7, (graph) => writeGraph(graph, input))
    .message(8, (opset) => opset.string(1, '').varint(2, ONNX_TABLE_OPSET))
    .message(8, (opset) => opset.string(1, ML_DOMAIN).varint(2, ML_OPSET))
    .finish();
}

function writeGraph(graph: ProtoWriter, input: OnnxTableInput): void {
  graph.string(2, 'table_logistic_regression');
  onnxTensor(graph, 'axis1', 'int64', [1], [1]);
  const blocks = [
    ...input.preprocessing.numeric.map((step, j) => numericBlock(graph, step, j)),
    ...input.preprocessing.categorical.map((step, k) => categoricalBlock(graph, step, k)),
  ];
  onnxNode(graph, 'Concat', blocks, ['X'], { axis: { int: 1 } });
  onnxTensor(graph, 'W', 'double', [input.coef.length, 1], input.coef);
  onnxTensor(graph, 'B', 'double', [1], [input.intercept]);
  onnxTensor(graph, 'half', 'double', [1], [0.5]);
  onnxNode(graph, 'MatMul', ['X', 'W'], ['logit_raw']);
  onnxNode(graph, 'Add', ['logit_raw', 'B'], ['logit']);
  onnxNode(graph, 'Sigmoid', ['logit'], ['probability']);
  onnxNode(graph, 'Greater', ['probability', 'half'], ['is_positive']);
  const labelType = writeLabel(graph, input.classLabels);
  for (const step of input.preprocessing.numeric) onnxValueInfo(graph, 11, step.name, ONNX_TYPES.double, ['N']);
  for (const step of input.preprocessing.categorical) {
    onnxValueInfo(graph, 11, step.name, step.kind === 'text' ? ONNX_TYPES.string : ONNX_TYPES.double, ['N']);
  }
  onnxValueInfo(graph, 12, 'probability', ONNX_TYPES.double, ['N', 1]);
  onnxValueInfo(graph, 12, 'label', labelType, ['N', 1]);
}

/** Where(IsNaN(x), fill, x), then (x − mean) / scale when scaled, as a [N, 1] column. */
function numericBlock(graph: ProtoWriter, step: FittedNumericColumn, j: number): string {
  const p = `num${j}`;
  onnxTensor(graph, `${p}_fill`, 'double', [1], [step.fill]);
  onnxNode(graph, 'IsNaN', [step.name], [`${p}_nan`]);
  onnxNode(graph, 'Where', [`${p}_nan`, `${p}_fill`, step.name], [`${p}_filled`]);
  let value = `${p}_filled`;
  if (step.mean !== null && step.scale !== null) {
    onnxTensor(graph, `${p}_mean`, 'double', [1], [step.mean]);
    onnxTensor(graph, `${p}_scale`, 'double', [1], [step.scale]);
    onnxNode(graph, 'Sub', [value, `${p}_mean`], [`${p}_centered`]);
    onnxNode(graph, 'Div', [`${p}_centered`, `${p}_scale`], [`${p}_scaled`]);
    value = `${p}_scaled`;
  }
  onnxNode(graph, 'Unsqueeze', [value, 'axis1'], [`${p}_col`]);
  return `${p}_col`;
}

/** The one-hot columns of a categorical column ([N, K] double); unseen values give zeros. */
function categoricalBlock(graph: ProtoWriter, step: FittedCategoricalColumn, k: number): string {
  const p = `cat${k}`;
  const indicator = step.kind === 'text' ? textIndicator(graph, step, p) : numberIndicator(graph, step, p);
  onnxNode(graph, 'Cast', [indicator], [`${p}_onehot`], { to: { int: ONNX_TYPES.double } });
  return `${p}_onehot`;
}

/** LabelEncoder maps each category to its index (missing tokens to the fill's or the missing category's). */
function textIndicator(graph: ProtoWriter, step: FittedCategoricalColumn, p: string): string {
  const known = step.categories.filter((c): c is string => typeof c === 'string');
  const unseen = step.categories.length;
  const missingIndex = indexOf(step.categories, step.fill ?? null, unseen);
  const tokens = MISSING_TEXT_TOKENS.filter((t) => !known.includes(t));
  onnxNode(
    graph,
    'LabelEncoder',
    [step.name],
    [`${p}_index`],
    {
      keys_strings: { strings: [...known, ...tokens] },
      values_int64s: { ints: [...known.map((c) => step.categories.indexOf(c)), ...tokens.map(() => missingIndex)] },
      default_int64: { int: unseen },
    },
    ML_DOMAIN,
  );
  onnxTensor(graph, `${p}_range`, 'int64', [step.categories.length], [...step.categories.keys()]);
  onnxNode(graph, 'Unsqueeze', [`${p}_index`, 'axis1'], [`${p}_index_col`]);
  onnxNode(graph, 'Equal', [`${p}_index_col`, `${p}_range`], [`${p}_hot`]);
  return `${p}_hot`;
}

/** Equal against the numeric categories (NaN imputed first, or its own column when missing is a category). */
function numberIndicator(graph: ProtoWriter, step: FittedCategoricalColumn, p: string): string {
  const values = step.categories.filter((c): c is number => typeof c === 'number');
  onnxTensor(graph, `${p}_values`, 'double', [values.length], values);
  onnxNode(graph, 'IsNaN', [step.name], [`${p}_nan`]);
  let source = step.name;
  if (typeof step.fill === 'number') {
    onnxTensor(graph, `${p}_fill`, 'double', [1], [step.fill]);
    onnxNode(graph, 'Where', [`${p}_nan`, `${p}_fill`, step.name], [`${p}_filled`]);
    source = `${p}_filled`;
  }
  onnxNode(graph, 'Unsqueeze', [source, 'axis1'], [`${p}_col`]);
  onnxNode(graph, 'Equal', [`${p}_col`, `${p}_values`], [`${p}_eq`]);
  if (!step.categories.includes(null)) return `${p}_eq`;
  onnxNode(graph, 'Unsqueeze', [`${p}_nan`, 'axis1'], [`${p}_nan_col`]);
  onnxNode(graph, 'Concat', [`${p}_eq`, `${p}_nan_col`], [`${p}_hot`], { axis: { int: 1 } });
  return `${p}_hot`;
}

/** `label`: the class label of each row, text through LabelEncoder, numbers through Where. */
function writeLabel(graph: ProtoWriter, labels: readonly [ClassLabel, ClassLabel]): number {
  const [negative, positive] = labels;
  if (typeof negative === 'number' && typeof positive === 'number') {
    onnxTensor(graph, 'label_negative', 'double', [1], [negative]);
    onnxTensor(graph, 'label_positive', 'double', [1], [positive]);
    onnxNode(graph, 'Where', ['is_positive', 'label_positive', 'label_negative'], ['label']);
    return ONNX_TYPES.double;
  }
  onnxNode(graph, 'Cast', ['is_positive'], ['label_index'], { to: { int: ONNX_TYPES.int64 } });
  onnxNode(
    graph,
    'LabelEncoder',
    ['label_index'],
    ['label'],
    {
      keys_int64s: { ints: [0, 1] },
      values_strings: { strings: [String(negative), String(positive)] },
      default_string: { string: '' },
    },
    ML_DOMAIN,
  );
  return ONNX_TYPES.string;
}

function indexOf(categories: readonly Category[], value: Category, otherwise: number): number {
  const at = categories.indexOf(value);
  return at < 0 ? otherwise : at;
}
