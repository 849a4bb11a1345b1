/**
 * `@mlops/ml`: a pure TypeScript ML core that reproduces scikit-learn — numpy's legacy RandomState,
 * make_classification, train_test_split, StratifiedKFold folds, ParameterSampler candidates, binary
 * LogisticRegression (liblinear, lbfgs, saga; l2, l1, elasticnet; class weights) and metrics; and for drift monitoring a reference profile of the training data with scipy's
 * two-sample statistics (ks_2samp, wasserstein_distance, jensenshannon, chisquare) and Evidently's PSI and decision
 * rules; for customer tables,
 * column roles and a ColumnTransformer of SimpleImputer, StandardScaler and OneHotEncoder, and LabelEncoder.
 * No I/O, no network, no process state; CSV is read as text the caller supplies (RFC 4180, via csv-parse).
 */

export type { ClassificationDataset, MakeClassificationOptions } from './datasets/make-classification.js';
export { makeClassification } from './datasets/make-classification.js';
export type { MakeCustomersOptions } from './datasets/make-customers.js';
export { CUSTOMER_COLUMNS, customersCsv, makeCustomers } from './datasets/make-customers.js';
export { binOf, countIntoBins } from './drift/bins.js';
export type { CategoricalDrift } from './drift/categorical-drift.js';
export { categoricalDrift, proportionsZTest } from './drift/categorical-drift.js';
export type { ChiSquareResult } from './drift/chi-square.js';
export { chiSquareSf, chiSquareTest } from './drift/chi-square.js';
export { jensenShannonDistance } from './drift/jensen-shannon.js';
export { kolmogorovSf } from './drift/kolmogorov.js';
export { KsTailMemo } from './drift/ks-tail-memo.js';
export type { KsResult } from './drift/ks-two-sample.js';
export { ksTwoSample, ksTwoSampleSorted } from './drift/ks-two-sample.js';
export type { ReferenceFeature, ReferenceProfile, ReferenceProfileOptions, ReferenceSample } from './drift/profile.js';
export { buildReferenceProfile } from './drift/profile.js';
export type { PsiOptions } from './drift/psi.js';
export { populationStabilityIndex } from './drift/psi.js';
export type { DriftReference, PreparedFeature } from './drift/reference.js';
export { prepareDriftReference } from './drift/reference.js';
export type { DriftMethod, DriftRules } from './drift/rules.js';
export { bonferroni, DEFAULT_DRIFT_RULES, datasetDrifted, resolveDriftRules } from './drift/rules.js';
export type {
  PreparedTableColumn,
  TableColumnDrift,
  TableDriftReference,
  TableWindowDrift,
} from './drift/table-drift.js';
export { prepareTableReference, tableWindowDrift } from './drift/table-drift.js';
export type {
  CategoricalColumnProfile,
  NumericColumnProfile,
  ProfiledColumn,
  TableColumnProfile,
  TableProfile,
} from './drift/table-profile.js';
export { buildTableProfile } from './drift/table-profile.js';
export {
  normedWassersteinDistance,
  normedWassersteinSorted,
  wassersteinDistance,
  wassersteinDistanceSorted,
} from './drift/wasserstein.js';
export type { FeatureDrift, WindowDrift } from './drift/window-drift.js';
export { featureDrift, preparedFeatureDrift, windowDrift } from './drift/window-drift.js';
export { InvalidDataError, InvalidParameterError, MlError, NotFittedError, NumericalError } from './errors.js';
export type { NumericTable } from './io/csv.js';
export { formatDatasetCsv, parseNumericCsv } from './io/csv.js';
export type { CsvFormat, DecimalMark } from './io/csv-format.js';
export { DECIMAL_MARKS } from './io/csv-format.js';
export type { CsvDelimiter, CsvRecord } from './io/csv-reader.js';
export {
  CSV_DELIMITERS,
  CsvSyntaxError,
  decodeCsvBytes,
  isBlankRecord,
  readCsv,
  readCsvRecords,
} from './io/csv-reader.js';
export type { ClassWeight } from './linear/class-weight.js';
export { computeClassWeights } from './linear/class-weight.js';
export type { FitSummary, LogisticRegressionState } from './linear/logistic-regression.js';
export { expit, LogisticRegression } from './linear/logistic-regression.js';
export type { LogisticRegressionParams, ResolvedParams, SolverName } from './linear/params.js';
export { SOLVERS } from './linear/params.js';
export type { PenaltyName } from './linear/penalty.js';
export { PENALTIES } from './linear/penalty.js';
export type { ClassWeights } from './linear/solver-types.js';
export type { DenseMatrix } from './matrix.js';
export { denseMatrix, fromRows, takeRows, takeValues, toRows } from './matrix.js';
export type { BinaryClassificationReport, ConfusionMatrix } from './metrics/classification.js';
export {
  accuracy,
  classificationReport,
  confusionMatrix,
  f1,
  logLoss,
  precision,
  recall,
} from './metrics/classification.js';
export { rocAuc } from './metrics/ranking.js';
export type {
  McNemarResult,
  PairedBootstrapOptions,
  PairedBootstrapResult,
  RowMetric,
} from './model-selection/paired-comparison.js';
export { mcnemarTest, pairedBootstrap, percentile } from './model-selection/paired-comparison.js';
export type {
  ParameterDistribution,
  ParameterSamplerOptions,
  ParameterSamples,
  ParameterValue,
} from './model-selection/parameter-sampler.js';
/** scikit-learn 1.8's `ParameterSampler` candidates (lists, loguniform, uniform) for random search. */
export { parameterSampler } from './model-selection/parameter-sampler.js';
export type { ClassLabel, StratifiedFolds, StratifiedKFoldOptions } from './model-selection/stratified-k-fold.js';
/** scikit-learn 1.8's `StratifiedKFold(...).split` folds, index for index. */
export { stratifiedKFold } from './model-selection/stratified-k-fold.js';
export type { SplitIndices, TrainTestSplitOptions } from './model-selection/train-test-split.js';
export { trainTestSplit } from './model-selection/train-test-split.js';
export type { ColumnRoleOverrides, ColumnRoles, ExcludedColumn } from './preprocessing/column-roles.js';
export { inferColumnRoles, MAX_INFERRED_INTEGER_CATEGORIES } from './preprocessing/column-roles.js';
export type {
  CategoricalMissing,
  CompiledPreprocessor,
  FeatureColumns,
  FittedCategoricalColumn,
  FittedNumericColumn,
  FittedPreprocessor,
  PreprocessingOptions,
} from './preprocessing/column-transformer.js';
export {
  CATEGORICAL_MISSING,
  compilePreprocessor,
  encodedFeatureNames,
  encodedWidth,
  fitPreprocessor,
} from './preprocessing/column-transformer.js';
export type { RawTableOptions } from './preprocessing/csv-table.js';
export { isDecimalCell, readRawTable } from './preprocessing/csv-table.js';
export type { NumericImputeStrategy } from './preprocessing/imputer.js';
export { mostFrequentCategory, NUMERIC_IMPUTE_STRATEGIES, numericImputeValue } from './preprocessing/imputer.js';
export type { EncodedTarget } from './preprocessing/label-encoder.js';
export { encodeBinaryTarget } from './preprocessing/label-encoder.js';
export type { Category, ColumnSpec, NumberColumn, RawColumn, RawTable, TextColumn } from './preprocessing/raw-table.js';
export {
  categoryAt,
  columnNamed,
  compareCategories,
  compareCodePoints,
  isMissing,
  MISSING_CELLS,
  missingCount,
  numberCell,
  tableFromRows,
  takeTableRows,
  textCell,
} from './preprocessing/raw-table.js';
export type { ScalerStatistics } from './preprocessing/scaler.js';
export { standardScalerStatistics } from './preprocessing/scaler.js';
export { RandomState } from './random/random-state.js';
