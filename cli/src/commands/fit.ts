import { resolve } from 'node:path';
import {
  type ClassWeight,
  type CsvFormat,
  InvalidDataError,
  LogisticRegression,
  type LogisticRegressionParams,
  SOLVERS,
  type SolverName,
} from '@mlops/ml';
import { CSV_FORMAT_USAGE, csvFormatOption, readNumericCsv } from '../csv.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { integerOption, numberOption, parseFlags, type RawOptions, requiredString, stringOptions } from '../options.js';
import { classWeightValue, penaltyValue } from '../tune/hyperparameters.js';

/** Help text for `mlops fit`. */
export const FIT_USAGE = `usage: mlops fit --csv FILE.csv [--target y] [--solver lbfgs|liblinear|saga] [--C 1.0]
  [--tol 1e-4] [--max-iter 100] [--random-state S] [--no-intercept] [--intercept-scaling 1.0]
  [--penalty l2|l1|elasticnet|none] [--l1-ratio R] [--class-weight balanced|0:1,1:3] [--test-csv FILE.csv]
  ${CSV_FORMAT_USAGE} (both files)
  l1: liblinear or saga; elasticnet: saga with --l1-ratio in [0, 1]; none: lbfgs or saga (scikit-learn's rules).
Fits one LogisticRegression on a CSV of number columns (a table with text columns: mlops tune --csv) and prints one
JSON object: coef, intercept, n_iter, converged (and metrics on --test-csv).`;

const FLAGS = [
  'csv',
  'target',
  'solver',
  'C',
  'tol',
  'max-iter',
  'random-state',
  'penalty',
  'l1-ratio',
  'class-weight',
  'intercept-scaling',
  'test-csv',
  'delimiter',
  'decimal',
] as const;

/** `mlops fit`: one LogisticRegression fit on a CSV, printed as JSON; warnings go to stderr. */
export async function fitCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({
    args,
    options: { ...stringOptions(FLAGS), 'no-intercept': { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  const target = typeof values.target === 'string' ? values.target : 'y';
  const testCsv = values['test-csv'];
  const params = modelParams(values);
  const format = csvFormatOption(values);
  const train = await readFitCsv(resolve(io.cwd, requiredString(values, 'csv')), target, format);
  const testPath = typeof testCsv === 'string' ? resolve(io.cwd, testCsv) : undefined;
  const test = testPath === undefined ? undefined : await readFitCsv(testPath, target, format);
  if (test !== undefined && test.featureNames.join() !== train.featureNames.join()) {
    throw new UsageError(`${testPath}: feature columns differ from the training CSV`, 1);
  }
  const model = new LogisticRegression(params).fit(train.X, train.y);
  const summary = model.fitSummary;
  for (const warning of summary.warnings) io.stderr(`warning: ${warning.replace(/\s+/g, ' ').trim()}\n`);
  const result = {
    solver: summary.params.solver,
    C: summary.params.C,
    penalty: summary.params.penalty,
    ...(summary.params.penalty === 'elasticnet' ? { l1_ratio: summary.params.l1Ratio } : {}),
    ...(summary.params.classWeight === null ? {} : { class_weights: [...summary.classWeights] }),
    classes: model.classes,
    feature_names: train.featureNames,
    coef: Array.from(model.coef),
    intercept: model.intercept,
    n_iter: summary.nIter,
    converged: summary.converged,
    ...(test === undefined ? {} : { metrics: testMetrics(model, test.X, test.y) }),
  };
  io.stdout(`${JSON.stringify(result)}\n`);
  return 0;
}

/** A number CSV; a cell of text (an id, a category, a yes/no target) says where a table is fitted instead. */
async function readFitCsv(path: string, target: string, format: CsvFormat) {
  try {
    return await readNumericCsv(path, target, format);
  } catch (err) {
    if (!(err instanceof InvalidDataError) || !/ holds ".+", not a finite number/.test(err.message)) throw err;
    throw new UsageError(
      `${err.message}. mlops fit takes number columns only; a table with text columns (ids, categories, a yes/no target) is fitted with its preprocessing by mlops tune --csv`,
      1,
      { cause: err },
    );
  }
}

function modelParams(values: RawOptions): LogisticRegressionParams {
  const solver = typeof values.solver === 'string' ? values.solver : 'lbfgs';
  if (!(SOLVERS as readonly string[]).includes(solver)) {
    throw new UsageError(`--solver "${solver}" is not one of ${SOLVERS.join(', ')}`);
  }
  const penalty = typeof values.penalty === 'string' ? penaltyValue(values.penalty, 'penalty') : 'l2';
  const set = <T>(key: keyof LogisticRegressionParams, value: T | undefined) =>
    value === undefined ? {} : { [key]: value };
  return {
    solver: solver as SolverName,
    penalty,
    ...set('l1Ratio', numberOption(values, 'l1-ratio')),
    ...set(
      'classWeight',
      typeof values['class-weight'] === 'string' ? classWeightOf(values['class-weight']) : undefined,
    ),
    ...(values['no-intercept'] === true ? { fitIntercept: false } : {}),
    ...set('C', cOption(values)),
    ...set('tol', numberOption(values, 'tol')),
    ...set('maxIter', integerOption(values, 'max-iter')),
    ...set('randomState', integerOption(values, 'random-state')),
    ...set('interceptScaling', numberOption(values, 'intercept-scaling')),
  };
}

/** `--C`: a finite number (the library's own check says > 0); an infinite one names the flag that means no penalty. */
function cOption(values: RawOptions): number | undefined {
  try {
    return numberOption(values, 'C');
  } catch (err) {
    if (!(err instanceof UsageError) || !/finite|too large/.test(err.message)) throw err;
    throw new UsageError(`${err.message} (for no penalty: --penalty none)`, 2, { cause: err });
  }
}

/** `--class-weight` for a numeric CSV: a mapping's keys are class values (`1.0` names class 1). */
function classWeightOf(text: string): ClassWeight | null {
  const spec = classWeightValue(text, 'class-weight');
  if (spec === null || spec === 'balanced') return spec;
  const weights: Record<number, number> = {};
  for (const [key, weight] of Object.entries(spec)) {
    const label = Number(key);
    if (!Number.isFinite(label)) throw new UsageError(`--class-weight: "${key}" is not a class value (a number)`);
    weights[label] = weight;
  }
  return weights;
}

function testMetrics(model: LogisticRegression, X: Parameters<LogisticRegression['predict']>[0], y: Float64Array) {
  const report = model.evaluate(X, y);
  return {
    accuracy: report.accuracy,
    precision: report.precision,
    recall: report.recall,
    f1: report.f1,
    roc_auc: report.rocAuc,
    log_loss: report.logLoss,
    confusion_matrix: report.confusion.matrix,
  };
}
