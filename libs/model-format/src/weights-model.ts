import {
  type Category,
  type CompiledPreprocessor,
  compilePreprocessor,
  fromRows,
  LogisticRegression,
  type RawTable,
  tableFromRows,
} from '@mlops/ml';
import type { ClassLabel, InputColumnEntry, WeightsFile } from './weights.js';

/** A weights file made usable: the model and, for a table model, its compiled preprocessing. */
export interface WeightsModel {
  readonly model: LogisticRegression;
  /** The names of what a row holds: a table model's raw columns, else the features. */
  readonly inputNames: readonly string[];
  /** A table model's raw columns and preprocessing; undefined for a model that takes numbers only. */
  readonly table:
    | { readonly columns: readonly InputColumnEntry[]; readonly preprocessor: CompiledPreprocessor }
    | undefined;
  /** The target's own labels of classes 0 and 1 (text targets), else undefined. */
  readonly classLabels: readonly [ClassLabel, ClassLabel] | undefined;
  /** P(class 1) for rows of cells in `inputNames` order (a wrong cell type throws, naming the column). */
  probabilities(rows: readonly (readonly Category[])[]): Float64Array;
  /** P(class 1) for a raw table (table models only). */
  tableProbabilities(table: RawTable): Float64Array;
}

/** Builds the scorer of a parsed weights file: what the predictor serves and the gate judges with. */
export function modelFromWeights(weights: WeightsFile): WeightsModel {
  const model = LogisticRegression.fromState({
    classes: weights.classes,
    coef: weights.coef,
    intercept: weights.intercept,
  });
  const table =
    weights.input_columns !== undefined && weights.preprocessing !== undefined
      ? { columns: weights.input_columns, preprocessor: compilePreprocessor(weights.preprocessing) }
      : undefined;
  const tableProbabilities = (raw: RawTable) => {
    if (table === undefined) throw new Error('this model takes numbers, not a table');
    return model.predictPositiveProba(table.preprocessor.transform(raw));
  };
  return {
    model,
    inputNames: table === undefined ? weights.feature_names : table.columns.map((c) => c.name),
    table,
    classLabels: weights.class_labels,
    tableProbabilities,
    probabilities(rows) {
      if (table !== undefined) return tableProbabilities(tableFromRows(table.columns, rows));
      return model.predictPositiveProba(fromRows(rows as readonly (readonly number[])[]));
    },
  };
}
