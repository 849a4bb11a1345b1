import { GridSpecSchema, TABLE_GRID_DEFAULTS } from '@mlops/contracts';

/** What a trial's params hold, as `run.started` / `run.completed` carry them (see `TrialParams`). */
type Params = Readonly<Record<string, unknown>>;

const DEFAULT_GRID: Readonly<Record<string, readonly unknown[] | undefined>> = {
  ...GridSpecSchema.parse({}),
  ...TABLE_GRID_DEFAULTS,
};

/**
 * How a parameter other than C and solver shows in a run name, in this order: the penalty and class weights first
 * (the axes tunings vary most), then the CSV preprocessing, then the rest. `undefined` leaves the value out.
 */
const PARTS: readonly (readonly [key: string, show: (value: unknown) => string | undefined])[] = [
  ['penalty', (v) => (v === null ? 'penalty=none' : String(v))],
  ['l1_ratio', (v) => `l1_ratio=${String(v)}`],
  ['class_weight', (v) => (v === null ? undefined : classWeightText(v))],
  ['scale', (v) => `scale=${String(v)}`],
  ['impute', (v) => `impute=${String(v)}`],
  ['categorical_missing', (v) => `cat_missing=${String(v)}`],
  ['tol', (v) => `tol=${String(v)}`],
  ['max_iter', (v) => `max_iter=${String(v)}`],
  ['fit_intercept', (v) => `fit_intercept=${String(v)}`],
  ['intercept_scaling', (v) => `intercept_scaling=${String(v)}`],
  ['random_state', (v) => `random_state=${String(v)}`],
];

/** A class label longer than this is cut in a run name (the name has to stay readable in MLflow's run lists). */
const MAX_LABEL = 12;

/**
 * The MLflow run name of a trial: `C=<C> <solver>`, then every other parameter the trial sets away from its
 * default grid value, short: `C=1 lbfgs`, `C=0.2 liblinear l1 balanced`, `C=1 saga elasticnet l1_ratio=0.2`,
 * `C=0.1 lbfgs {0:1,1:3} impute=median`. Trials of one tuning differ in some parameter, so their names differ too.
 */
export function trialRunName(params: Params): string {
  const parts = [`C=${String(params.C)}`, String(params.solver)];
  for (const [key, show] of PARTS) {
    const value = params[key];
    if (value === undefined || isDefault(key, value)) continue;
    const text = show(value);
    if (text !== undefined) parts.push(text);
  }
  return parts.join(' ');
}

/** True when the value is the default grid's only value of the parameter (l1_ratio and class_weight have none). */
function isDefault(key: string, value: unknown): boolean {
  const values = DEFAULT_GRID[key];
  return values !== undefined && values.length === 1 && values[0] === value;
}

/** `balanced`, or a mapping without quotes: `{0:1,1:3}`, `{no:1,yes:2.5}`. */
function classWeightText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  const entries = Object.entries(value).map(([label, weight]) => `${cut(label)}:${String(weight)}`);
  return `{${entries.join(',')}}`;
}

function cut(label: string): string {
  return label.length <= MAX_LABEL ? label : `${label.slice(0, MAX_LABEL - 1)}…`;
}
