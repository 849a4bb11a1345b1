import { z } from 'zod';
import { issueMessage } from './issues.js';
import {
  ClassWeightSchema,
  type ClassWeightSpec,
  type PenaltyName,
  PenaltySchema,
  SOLVERS_OF_PENALTY,
  solverFitsPenalty,
} from './penalties.js';
import { RetrainLineageSchema } from './retraining.js';
import {
  DISTRIBUTION_AXES,
  type Distribution,
  distributionRangeProblem,
  type RandomSearchSpec,
  SearchSpecSchema,
} from './search.js';
import { MAX_COLUMN_NAME_LENGTH } from './tables.js';

/** The default experiment and registered model name of the seed experiment. */
export const DEFAULT_MODEL_NAME = 'One_Customer_Classifier';
/** The solvers a grid may name (scikit-learn's names). */
export const SOLVER_NAMES = ['liblinear', 'lbfgs', 'saga'] as const;
/** Metrics a tuning can select the best trial by; `log_loss` is minimised, the others maximised. */
export const SELECTION_METRICS = ['accuracy', 'f1', 'roc_auc', 'log_loss', 'precision', 'recall'] as const;
/** The fewest and most folds a request's `cv` may ask for. */
export const CV_FOLDS = { min: 2, max: 20 } as const;
/** Which trials get their model logged to MLflow: every completed one, or the best `top_k` (see the request). */
export const LOG_MODELS = ['all', 'top_k'] as const;
/** Upper bound on grid size: a request that would train more models is rejected. */
export const MAX_TRIALS = 1000;
/** Upper bound on a synthetic data set's n_samples × n_features (80 MB of doubles): larger ones are rejected. */
export const MAX_DATASET_CELLS = 10_000_000;
/** Upper bound on a matrix model's features: a synthetic data set's n_features, a matrix CSV's non-target columns. */
export const MAX_MATRIX_FEATURES = 1000;

/** One of {@link SELECTION_METRICS}. */
export type SelectionMetric = (typeof SELECTION_METRICS)[number];

/** Whether a larger value of the metric is better (false only for log_loss). */
export function greaterIsBetter(metric: SelectionMetric): boolean {
  return metric !== 'log_loss';
}

const count = (min: number) => z.number().int().min(min);
const finite = z.number().finite();

/** scikit-learn's make_classification arguments (snake_case); defaults give the seed data set (1000×20, seed 42). */
export const SyntheticDatasetSchema = z.strictObject({
  kind: z.literal('synthetic'),
  n_samples: count(10).max(1_000_000).default(1000),
  n_features: count(1).max(MAX_MATRIX_FEATURES).default(20),
  n_informative: count(1).default(2),
  n_redundant: count(0).default(2),
  n_repeated: count(0).default(0),
  n_classes: z.literal(2).default(2).describe('binary classification only'),
  n_clusters_per_class: count(1).default(2),
  weights: z.array(finite.min(0).max(1)).min(1).max(2).nullable().default(null),
  flip_y: finite.min(0).max(1).default(0.01),
  class_sep: finite.default(1.0),
  hypercube: z.boolean().default(true),
  shift: finite.nullable().default(0.0),
  scale: finite.nullable().default(1.0),
  shuffle: z.boolean().default(true),
  random_state: count(0).max(0xffffffff).default(42),
});

const columnList = z.array(z.string().min(1).max(MAX_COLUMN_NAME_LENGTH)).max(256);

/** Corrections to the column roles the trainer infers from a CSV (names of columns). */
export const ColumnOverridesSchema = z.strictObject({
  exclude: columnList.optional().describe('columns never used as features (ids, free text, leaks)'),
  categorical: columnList.optional().describe('columns one-hot encoded, e.g. integer codes'),
  numeric: columnList.optional().describe('number columns used as they are (imputed, scaled)'),
});

/** How a CSV's columns become model inputs: a table preprocessed per trial, or a matrix of numbers used as they are. */
export const CSV_FEATURE_MODES = ['table', 'matrix'] as const;

/** The separators a CSV's cells may have: comma (RFC 4180, the default), semicolon, tab or pipe. */
export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;
/** The decimal marks a CSV's numbers may have: a point (the default) or a comma. */
export const CSV_DECIMAL_MARKS = ['.', ','] as const;

/** A CSV file with a header row, read by the trainer from its data directory. */
export const CsvDatasetSchema = z
  .strictObject({
    kind: z.literal('csv'),
    path: z
      .string()
      .min(1)
      .max(1024)
      // Path resolution drops a trailing slash: "x.csv/" would quietly train on x.csv.
      .refine((path) => !path.endsWith('/'), 'ends with "/", so it names a directory: name the CSV file itself')
      .describe('relative to the trainer data directory'),
    target: z.string().min(1).max(MAX_COLUMN_NAME_LENGTH).default('y'),
    features: z
      .enum(CSV_FEATURE_MODES)
      .default('table')
      .describe(
        'table: column roles inferred, each trial imputes, scales and one-hot encodes; matrix: every column but the target is a finite number in every row (no missing cell), used as it is in file order like the synthetic data set',
      ),
    columns: ColumnOverridesSchema.optional().describe('table only: corrections to the inferred column roles'),
    delimiter: z
      .enum(CSV_DELIMITERS)
      .optional()
      .describe('the separator between cells (pandas\' sep): ",", ";", "\\t" or "|"; "," when absent'),
    decimal: z
      .enum(CSV_DECIMAL_MARKS)
      .optional()
      .describe('the decimal mark of the numbers (pandas\' decimal): "." when absent; with ",", "1,5" is 1.5'),
    digest: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'the SHA-256 of the file: 64 lowercase hex characters')
      .optional()
      .describe("SHA-256 (hex) of the file's bytes: a file whose bytes hash differently is refused"),
  })
  .superRefine((dataset, ctx) => {
    if (dataset.decimal === ',' && (dataset.delimiter ?? ',') === ',') {
      const message = 'a decimal comma needs another delimiter between cells, e.g. ";"';
      ctx.addIssue({ code: 'custom', path: ['decimal'], message });
    }
    if (dataset.features !== 'matrix') return;
    for (const role of ['exclude', 'categorical', 'numeric'] as const) {
      if (dataset.columns?.[role] === undefined) continue;
      const message = 'column overrides are for features "table"; a matrix uses every column but the target';
      ctx.addIssue({ code: 'custom', path: ['columns', role], message });
    }
  });

/** Where the training data come from. */
export const DatasetSpecSchema = z.discriminatedUnion('kind', [SyntheticDatasetSchema, CsvDatasetSchema]);

/** The train/test split (scikit-learn's train_test_split). */
export const SplitSpecSchema = z.strictObject({
  test_size: z
    .number()
    .gt(0)
    .refine((v) => v < 1 || Number.isInteger(v), 'must be a fraction in (0, 1) or a whole row count')
    .default(0.2)
    .describe('a fraction in (0, 1) or a row count'),
  random_state: count(0).max(0xffffffff).default(42),
  stratify: z.boolean().default(false),
});

const axis = <T extends z.ZodType>(value: T, fallback: z.output<T>[]) =>
  z
    .preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(value).min(1).max(MAX_TRIALS))
    .default(fallback as never) as unknown as z.ZodDefault<z.ZodArray<T>>;

/** SimpleImputer strategies for a CSV table's numeric columns. */
export const IMPUTE_STRATEGIES = ['mean', 'median', 'most_frequent', 'constant'] as const;
/** How a CSV table's categorical columns treat a missing cell: impute the most frequent, or a category of its own. */
export const CATEGORICAL_MISSING_MODES = ['most_frequent', 'category'] as const;

const optionalAxis = <T extends z.ZodType>(value: T) =>
  z
    .preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(value).min(1).max(MAX_TRIALS))
    .optional() as unknown as z.ZodOptional<z.ZodArray<T>>;

/** The preprocessing axes a CSV table's tuning uses when the grid leaves them out. */
export const TABLE_GRID_DEFAULTS = {
  scale: [true],
  impute: ['mean'],
  categorical_missing: ['most_frequent'],
} as const satisfies Record<string, readonly unknown[]>;

/** The hyperparameter grid: each LogisticRegression parameter is a value or a list of values (an axis). */
export const GridSpecSchema = z.strictObject({
  C: axis(finite.gt(0), [0.01, 0.1, 1, 10, 100]),
  solver: axis(z.enum(SOLVER_NAMES), [...SOLVER_NAMES]),
  tol: axis(finite.gt(0), [1e-4]),
  max_iter: axis(count(1).max(100_000), [100]),
  fit_intercept: axis(z.boolean(), [true]),
  intercept_scaling: axis(finite.gt(0), [1]),
  penalty: axis(PenaltySchema, ['l2']).describe(
    'a trial per penalty and solver that scikit-learn fits together: l1 with liblinear or saga, elasticnet with saga, null (no penalty) with lbfgs or saga; other pairs are skipped',
  ),
  l1_ratio: optionalAxis(finite.min(0).max(1)).describe(
    'elasticnet only (required with it): a trial per value for each elasticnet point; other penalties ignore it',
  ),
  class_weight: optionalAxis(ClassWeightSchema).describe(
    'a trial per value: null, "balanced" or {"<class>": weight}; keys are a number target\'s class values ("0", "1") or a text target\'s labels',
  ),
  random_state: axis(count(0).max(0xffffffff), [42]),
  scale: optionalAxis(z.boolean()).describe('CSV tables: StandardScaler on the numeric columns (default true)'),
  impute: optionalAxis(z.enum(IMPUTE_STRATEGIES)).describe(
    'CSV tables: SimpleImputer strategy of the numeric columns (default mean; constant fills 0)',
  ),
  categorical_missing: optionalAxis(z.enum(CATEGORICAL_MISSING_MODES)).describe(
    'CSV tables: a missing category is imputed (most_frequent, default) or a category of its own',
  ),
});

/** What the gate does with a tuning that is no retrain when the champion is a retrain's version (fitted on live rows). */
export const RETRAINED_CHAMPION_RULES = ['keep_out', 'judge'] as const;

/** The significance tests the promotion gate can enforce. */
export const SIGNIFICANCE_TESTS = ['none', 'bootstrap', 'mcnemar'] as const;

/**
 * The promotion gate's rules as a request may override them (`gate: {...}`); what is left out comes from the
 * tracker's configuration, and `metric` from the request's selection metric.
 */
export const GateSpecSchema = z.strictObject({
  metric: z.enum(SELECTION_METRICS).optional(),
  min_absolute_change: finite.min(0).optional().describe('the challenger must be better by at least this much'),
  min_relative_change: finite.min(0).lt(1).optional().describe("… and by this fraction of the champion's value"),
  threshold: finite
    .nullable()
    .optional()
    .describe(
      'an absolute floor (a ceiling for log_loss) on the holdout, also for a first champion and a signature change let through; null: none',
    ),
  significance: z.enum(SIGNIFICANCE_TESTS).optional(),
  alpha: finite.gt(0).lt(1).optional(),
  bootstrap_resamples: count(100).max(10_000).optional(),
  random_state: count(0).max(0xffffffff).optional(),
  on_signature_change: z.enum(['reject', 'promote']).optional(),
  on_retrained_champion: z
    .enum(RETRAINED_CHAMPION_RULES)
    .optional()
    .describe(
      "when the champion was retrained on live rows (a retrain's version) and this tuning is no retrain: keep_out keeps the new version out as challenger whatever its test split says (that split is other data than the traffic the champion was fitted to); judge lets the gate decide on this tuning's rows",
    ),
});

/** The gate's rules with every value decided (the tracker's defaults under the request's overrides). */
export const GateRulesSchema = z.strictObject({
  metric: z.enum(SELECTION_METRICS),
  min_absolute_change: finite.min(0),
  min_relative_change: finite.min(0).lt(1),
  threshold: finite.nullable(),
  significance: z.enum(SIGNIFICANCE_TESTS),
  alpha: finite.gt(0).lt(1),
  bootstrap_resamples: count(100).max(10_000),
  random_state: count(0).max(0xffffffff),
  on_signature_change: z.enum(['reject', 'promote']),
  on_retrained_champion: z.enum(RETRAINED_CHAMPION_RULES),
});

/** A control character (a newline, a tab, NUL…): MLflow takes them in names, NATS message ids and log lines do not. */
const CONTROL_CHARACTER = /\p{Cc}/u;

/** An MLflow name as we carry it: not blank, no control characters. */
const mlflowName = z
  .string()
  .min(1, { message: 'must not be empty', abort: true })
  .max(256)
  .refine((name) => name.trim() !== '', { message: 'must not be blank', abort: true })
  .refine((name) => !CONTROL_CHARACTER.test(name), { message: 'must not contain control characters', abort: true });

/** Why a name holding both quote characters is refused: MLflow's filter grammar has no escapes. */
const BOTH_QUOTES_MESSAGE =
  "must not contain both ' and \" (MLflow's search filters have no escapes: such a name cannot be quoted in one)";

/**
 * A registered model's name as MLflow's registry takes it (`_validate_model_name`): not blank, no `/` or `:`, and
 * neither `.` nor starting with `..` (MLflow reads those as paths); no control characters (they cannot go into a
 * NATS message id); and not both `'` and `"` (the registry is searched by name, and MLflow's filters quote a value in
 * one or the other, without escapes). What the registry requests, a tuning and a retrain (of `Churn (EU)` made in the
 * MLflow UI) take.
 */
export const RegisteredModelNameSchema = mlflowName
  .refine((name) => !/[/:]/.test(name), { message: 'must not contain "/" or ":"', abort: true })
  .refine((name) => !(name.includes("'") && name.includes('"')), { message: BOTH_QUOTES_MESSAGE, abort: true })
  .refine(
    (name) => name !== '.' && !name.startsWith('..'),
    'must not be "." or start with ".." (MLflow reads it as a path)',
  );

/**
 * An experiment's name in a tune request: any name MLflow takes (a retrain names its model's experiment after it).
 * Quotes are fine here: an experiment is looked up by name (`experiments/get-by-name`), never through a filter.
 */
const experimentName = mlflowName;

/** The fields of a tune request, before the checks that span several of them. */
const RequestObjectSchema = z.strictObject({
  tuning_id: z
    .string()
    .regex(/^[A-Za-z0-9][\w.-]{0,63}$/, '1-64 characters: letters, digits, _ . - (starting with a letter or digit)')
    .optional(),
  dataset: DatasetSpecSchema.prefault({ kind: 'synthetic' }),
  append_training: DatasetSpecSchema.optional().describe(
    "rows added to the training side only (e.g. the replaced version's original data set): every one of its rows trains every trial; the test split, the trial metrics and the gate's holdout come from `dataset` alone",
  ),
  split: SplitSpecSchema.prefault({}),
  grid: GridSpecSchema.prefault({}),
  selection_metric: z.enum(SELECTION_METRICS).default('accuracy'),
  cv: z
    .number({ error: `cv must be an integer number of folds, ${CV_FOLDS.min} to ${CV_FOLDS.max}` })
    .int(`cv must be an integer number of folds, ${CV_FOLDS.min} to ${CV_FOLDS.max}`)
    .min(CV_FOLDS.min, `cv must be at least ${CV_FOLDS.min} folds`)
    .max(CV_FOLDS.max, `cv must be at most ${CV_FOLDS.max} folds`)
    .optional()
    .describe(
      "stratified k-fold cross-validation of each trial on the training split (GridSearchCV's cv=k): the best trial is picked by the mean over the folds of selection_metric; each class of the training split needs at least k rows",
    ),
  search: SearchSpecSchema.optional().describe(
    'how trials are picked: {"type": "grid"} (the default: every grid point) or {"type": "random", "n_trials": N, "random_state": S, "distributions": {...}} (the candidates scikit-learn\'s RandomizedSearchCV draws with the same seed)',
  ),
  log_models: z
    .enum(LOG_MODELS)
    .default('all')
    .describe(
      'all: every completed trial gets its model in MLflow (a LoggedModel with its files); top_k: only the best top_k trials, their models logged when the tuning completes (as GridSearchCV autologging keeps its best 5); the others keep their params and metrics',
    ),
  top_k: z.number().int().min(1).max(MAX_TRIALS).default(5).describe('with log_models "top_k": how many models'),
  experiment_name: experimentName.default(DEFAULT_MODEL_NAME),
  registered_model_name: RegisteredModelNameSchema.default(DEFAULT_MODEL_NAME),
  gate: GateSpecSchema.prefault({}),
  lineage: RetrainLineageSchema.optional().describe(
    'set by the monitor when a retrain asks for the tuning: the retrain, its trigger and its data set',
  ),
});

/** A problem the request schema's cross-field checks add: where (path) and what. */
type SchemaIssue = { path: string[]; message: string };

/** A tune request as published on `tune.requested`: every field optional; `{}` is the seed experiment. */
export const TuneRequestSchema = RequestObjectSchema.superRefine((request, ctx) => {
  const trials = trialCount(request.grid);
  if (request.search?.type !== 'random' && trials > MAX_TRIALS) {
    ctx.addIssue({ code: 'custom', path: ['grid'], message: `the grid has ${trials} trials, at most ${MAX_TRIALS}` });
  }
  for (const issue of penaltyAxisProblems(request.grid, randomOf(request))) ctx.addIssue({ code: 'custom', ...issue });
  for (const issue of distributionProblems(randomOf(request))) ctx.addIssue({ code: 'custom', ...issue });
  for (const issue of syntheticDatasetProblems(request)) ctx.addIssue({ code: 'custom', ...issue });
  for (const issue of preprocessingAxisProblems(request)) ctx.addIssue({ code: 'custom', ...issue });
  for (const issue of appendTrainingProblems(request)) ctx.addIssue({ code: 'custom', ...issue });
});

const penaltyText = (penalty: PenaltyName | null) => penalty ?? 'null';

/**
 * What the penalty axes cannot give: no solver × penalty pair scikit-learn fits (so no trial at all), elasticnet
 * without l1_ratio, l1_ratio without elasticnet.
 */
function penaltyAxisProblems(grid: GridSpec, random: RandomSearchSpec | undefined): SchemaIssue[] {
  const problems: SchemaIssue[] = [];
  if (solverPenaltyPairs(grid).length === 0) {
    const needs = [...new Set(grid.penalty)]
      .map((penalty) => `${penaltyText(penalty)} needs ${SOLVERS_OF_PENALTY[penalty ?? 'none'].join(' or ')}`)
      .join('; ');
    problems.push({
      path: ['grid', 'penalty'],
      message: `no trial: grid.penalty [${grid.penalty.map(penaltyText).join(', ')}] and grid.solver [${grid.solver.join(', ')}] have no pair scikit-learn fits (${needs})`,
    });
  }
  const elasticnet = grid.penalty.includes('elasticnet');
  const drawnRatio = random?.distributions.l1_ratio !== undefined;
  if (elasticnet && grid.l1_ratio === undefined && !drawnRatio) {
    problems.push({
      path: ['grid', 'l1_ratio'],
      message: 'penalty elasticnet needs l1_ratio: one or more values in [0, 1] (the L1 share of the penalty)',
    });
  }
  if (!elasticnet && (grid.l1_ratio !== undefined || drawnRatio)) {
    problems.push({
      path: drawnRatio ? ['search', 'distributions', 'l1_ratio'] : ['grid', 'l1_ratio'],
      message: 'l1_ratio is used by penalty elasticnet only: add elasticnet to grid.penalty or leave l1_ratio out',
    });
  }
  return problems;
}

/** The request's random search, if it asked for one. */
function randomOf(request: { search?: z.output<typeof SearchSpecSchema> | undefined }): RandomSearchSpec | undefined {
  return request.search?.type === 'random' ? request.search : undefined;
}

/** Distributions that can draw values their axis does not take (C at or below 0, l1_ratio outside [0, 1], …). */
function distributionProblems(random: RandomSearchSpec | undefined): SchemaIssue[] {
  if (random === undefined) return [];
  return DISTRIBUTION_AXES.flatMap((axis) => {
    const d = random.distributions[axis];
    const problem = d === undefined ? undefined : distributionRangeProblem(axis, d);
    return problem === undefined ? [] : [{ path: ['search', 'distributions', axis], message: problem }];
  });
}

/** True when the data set is a CSV table (preprocessed per trial), false for matrices (synthetic, matrix CSVs). */
export function isTableDataset(dataset: DatasetSpec): boolean {
  return dataset.kind === 'csv' && dataset.features === 'table';
}

/** The preprocessing axes a matrix data set cannot take: it is used as it is. */
function preprocessingAxisProblems(request: z.output<typeof RequestObjectSchema>): SchemaIssue[] {
  if (isTableDataset(request.dataset)) return [];
  const usedAsItIs =
    request.dataset.kind === 'synthetic' ? 'the synthetic data set is' : 'a CSV with features "matrix" is';
  return (Object.keys(TABLE_GRID_DEFAULTS) as (keyof typeof TABLE_GRID_DEFAULTS)[])
    .filter((axisName) => request.grid[axisName] !== undefined)
    .map((axisName) => ({
      path: ['grid', axisName],
      message: `preprocesses CSV tables only; ${usedAsItIs} used as it is`,
    }));
}

/** What make_classification and train_test_split would refuse, said before anything is queued. */
function syntheticDatasetProblems(request: z.output<typeof RequestObjectSchema>): SchemaIssue[] {
  const { dataset, append_training: appended } = request;
  return [
    ...(dataset.kind === 'synthetic'
      ? [...generatorProblems(dataset, 'dataset'), ...splitProblems(dataset.n_samples, request.split)]
      : []),
    ...(appended?.kind === 'synthetic' ? generatorProblems(appended, 'append_training') : []),
  ];
}

/** A test split that leaves no training row of a synthetic data set's `nSamples`. */
function splitProblems(nSamples: number, split: z.output<typeof SplitSpecSchema>): SchemaIssue[] {
  const size = split.test_size;
  const testRows = size < 1 ? Math.ceil(size * nSamples) : size;
  if (testRows <= nSamples - 1) return [];
  const message = `leaves no training row: ${testRows} of n_samples=${nSamples} rows for testing`;
  return [{ path: ['split', 'test_size'], message }];
}

/** What make_classification would refuse of one synthetic data set (`field`: where the request names it). */
function generatorProblems(ds: z.output<typeof SyntheticDatasetSchema>, field: string): SchemaIssue[] {
  const problems: SchemaIssue[] = [];
  const problem = (path: string[], message: string) => problems.push({ path: [field, ...path], message });
  if (ds.n_informative + ds.n_redundant + ds.n_repeated > ds.n_features) {
    problem([], 'n_informative + n_redundant + n_repeated must be at most n_features');
  }
  if (ds.n_classes * ds.n_clusters_per_class > 2 ** ds.n_informative) {
    problem(['n_clusters_per_class'], 'n_classes * n_clusters_per_class must be at most 2**n_informative');
  }
  if (ds.n_samples * ds.n_features > MAX_DATASET_CELLS) {
    problem([], `n_samples * n_features is ${ds.n_samples * ds.n_features}, at most ${MAX_DATASET_CELLS}`);
  }
  return problems;
}

/** Appended training rows need a matrix on both sides: a CSV table is preprocessed per trial from its own rows. */
function appendTrainingProblems(request: z.output<typeof RequestObjectSchema>): SchemaIssue[] {
  const appended = request.append_training;
  if (appended === undefined) return [];
  const problems: SchemaIssue[] = [];
  if (isTableDataset(request.dataset)) {
    problems.push({
      path: ['append_training'],
      message:
        'append_training is for matrix data sets; a CSV table takes no appended rows: the dataset must be synthetic or a CSV with features "matrix"',
    });
  }
  if (isTableDataset(appended)) {
    problems.push({
      path: ['append_training', 'features'],
      message:
        'append_training is for matrix data sets; a CSV table cannot be appended: give it features "matrix" (or a synthetic data set)',
    });
  }
  return problems;
}

/** The request as a publisher writes it (everything optional). */
export type TuneRequestInput = z.input<typeof TuneRequestSchema>;
/** The request after defaults: every axis a list, every dataset field present. */
export type TuneRequest = z.output<typeof TuneRequestSchema>;
/** The normalised grid. */
export type GridSpec = z.output<typeof GridSpecSchema>;
/** The normalised data set description. */
export type DatasetSpec = z.output<typeof DatasetSpecSchema>;

/**
 * Number of trials a grid expands to, without expanding it: the product of the other axes' lengths times the
 * solver × penalty pairs scikit-learn fits, an elasticnet pair counting once per l1_ratio value.
 */
export function trialCount(grid: GridSpec): number {
  const { solver: _solver, penalty: _penalty, l1_ratio: l1Ratio, ...others } = grid;
  const pairs = solverPenaltyPairs(grid).reduce(
    (sum, { penalty }) => sum + (penalty === 'elasticnet' ? (l1Ratio?.length ?? 1) : 1),
    0,
  );
  return Object.values(others).reduce((product, values) => product * (values?.length ?? 1), pairs);
}

/** The grid's solver × penalty pairs that scikit-learn fits, solver varying slower (the trials' order). */
function solverPenaltyPairs(grid: GridSpec): { solver: TrialParams['solver']; penalty: PenaltyName | null }[] {
  return grid.solver.flatMap((solver) =>
    grid.penalty.filter((penalty) => solverFitsPenalty(solver, penalty)).map((penalty) => ({ solver, penalty })),
  );
}

/** The grid a request's trials come from: a CSV table's preprocessing axes filled with their defaults. */
export function resolvedGrid(request: TuneRequest): GridSpec {
  if (!isTableDataset(request.dataset)) return request.grid;
  const { grid } = request;
  return {
    ...grid,
    scale: grid.scale ?? [...TABLE_GRID_DEFAULTS.scale],
    impute: grid.impute ?? [...TABLE_GRID_DEFAULTS.impute],
    categorical_missing: grid.categorical_missing ?? [...TABLE_GRID_DEFAULTS.categorical_missing],
  };
}

/** What a random search draws each parameter from: a list of choices, or a distribution (see {@link searchSpace}). */
export type SearchSpace = Record<string, readonly unknown[] | Distribution>;

/**
 * The parameter distributions of a random search, as RandomizedSearchCV's `param_distributions`: every axis of the
 * resolved grid as a list of choices, `search.distributions` replacing an axis by a distribution. An axis of one value
 * draws nothing from the seed, so it changes no candidate.
 */
export function searchSpace(grid: GridSpec, search: RandomSearchSpec): SearchSpace {
  const space: SearchSpace = {};
  for (const [axis, values] of Object.entries(grid)) if (values !== undefined) space[axis] = values;
  for (const [axis, d] of Object.entries(search.distributions)) if (d !== undefined) space[axis] = d;
  return space;
}

/** The number of trials a request will run: the grid's points, or the candidates a random search draws. */
export function plannedTrialCount(request: TuneRequest): number {
  const random = randomOf(request);
  if (random === undefined) return trialCount(request.grid);
  const lists = Object.values(searchSpace(resolvedGrid(request), random));
  if (!lists.every(Array.isArray)) return random.n_trials;
  return Math.min(
    random.n_trials,
    lists.reduce((size, values) => size * values.length, 1),
  );
}

/** One grid point: a full set of LogisticRegression parameters (snake_case, as logged to MLflow). */
export interface TrialParams {
  C: number;
  solver: (typeof SOLVER_NAMES)[number];
  tol: number;
  max_iter: number;
  fit_intercept: boolean;
  intercept_scaling: number;
  penalty: PenaltyName | null;
  /** Elasticnet trials only: the L1 share of the penalty. */
  l1_ratio?: number;
  /** Only when the grid names class_weight (absent: every class weighs 1, as class_weight null). */
  class_weight?: ClassWeightSpec;
  random_state: number;
  /** CSV tables only (absent for matrices: the synthetic data set, a matrix CSV): the preprocessing of this trial. */
  scale?: boolean;
  impute?: (typeof IMPUTE_STRATEGIES)[number];
  categorical_missing?: (typeof CATEGORICAL_MISSING_MODES)[number];
}

/**
 * Expands a grid into its trials in a fixed order: the preprocessing axes (present for CSV tables, see
 * {@link resolvedGrid}) vary slowest, so the trainer keeps one preprocessed table at a time; then C, solver and the
 * other axes. A penalty the trial's solver cannot fit is skipped; an elasticnet point takes each l1_ratio (other
 * penalties none); class_weight is in a trial only when the grid names it.
 */
export function expandGrid(grid: GridSpec): TrialParams[] {
  const trials: TrialParams[] = [];
  for (const preprocessing of preprocessingPoints(grid))
    for (const C of grid.C)
      for (const solver of grid.solver)
        for (const tol of grid.tol)
          for (const max_iter of grid.max_iter)
            for (const fit_intercept of grid.fit_intercept)
              for (const intercept_scaling of grid.intercept_scaling)
                for (const penalty of penaltyPoints(grid, solver))
                  for (const random_state of grid.random_state)
                    trials.push({
                      C,
                      solver,
                      tol,
                      max_iter,
                      fit_intercept,
                      intercept_scaling,
                      ...penalty,
                      random_state,
                      ...preprocessing,
                    });
  return trials;
}

/** The penalty, l1_ratio and class_weight points of one solver, in grid order (see {@link expandGrid}). */
function penaltyPoints(grid: GridSpec, solver: TrialParams['solver']): PenaltyPoint[] {
  const points: PenaltyPoint[] = [];
  for (const penalty of grid.penalty) {
    if (!solverFitsPenalty(solver, penalty)) continue;
    const ratios = penalty === 'elasticnet' && grid.l1_ratio !== undefined ? grid.l1_ratio : [undefined];
    for (const l1_ratio of ratios)
      for (const class_weight of grid.class_weight ?? [undefined])
        points.push({
          penalty,
          ...(l1_ratio === undefined ? {} : { l1_ratio }),
          ...(class_weight === undefined ? {} : { class_weight }),
        });
  }
  return points;
}

type PenaltyPoint = Pick<TrialParams, 'penalty' | 'l1_ratio' | 'class_weight'>;

function preprocessingPoints(grid: GridSpec): Pick<TrialParams, 'scale' | 'impute' | 'categorical_missing'>[] {
  if (grid.scale === undefined && grid.impute === undefined && grid.categorical_missing === undefined) return [{}];
  const points: Pick<TrialParams, 'scale' | 'impute' | 'categorical_missing'>[] = [];
  for (const scale of grid.scale ?? [TABLE_GRID_DEFAULTS.scale[0]])
    for (const impute of grid.impute ?? [TABLE_GRID_DEFAULTS.impute[0]])
      for (const categorical_missing of grid.categorical_missing ?? [TABLE_GRID_DEFAULTS.categorical_missing[0]])
        points.push({ scale, impute, categorical_missing });
  return points;
}

/** A validation problem, as listed in a rejection: where (dotted path) and what. */
export interface ValidationProblem {
  path: string;
  message: string;
}

/** Validates raw JSON as a tune request: the normalised request, or every problem found. */
export function parseTuneRequest(
  raw: unknown,
): { ok: true; request: TuneRequest } | { ok: false; errors: ValidationProblem[] } {
  const result = TuneRequestSchema.safeParse(raw ?? {});
  if (result.success) {
    if (raw !== null && raw !== undefined && Object.hasOwn(raw, 'top_k') && result.data.log_models !== 'top_k') {
      const message = `top_k is how many models log_models "top_k" keeps: add "log_models": "top_k" (with "all", the default, every model is logged)`;
      return { ok: false, errors: [{ path: 'top_k', message }] };
    }
    return { ok: true, request: result.data };
  }
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({
      path: issue.path.length === 0 ? '(request)' : issue.path.map(String).join('.'),
      message: issueMessage(issue),
    })),
  };
}

/** See {@link GateSpecSchema}. */
export type GateSpec = z.output<typeof GateSpecSchema>;
/** See {@link GateRulesSchema}. */
export type GateRules = z.output<typeof GateRulesSchema>;

/** The rules a tuning is judged by: the request's overrides over the tracker's defaults; metric from the request. */
export function resolveGateRules(
  defaults: Omit<GateRules, 'metric'>,
  spec: GateSpec,
  selectionMetric: SelectionMetric,
): GateRules {
  const overrides = Object.fromEntries(Object.entries(spec).filter(([, value]) => value !== undefined));
  return GateRulesSchema.parse({ ...defaults, metric: selectionMetric, ...overrides });
}
