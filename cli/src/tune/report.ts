import type { DatasetSummary, RunCompleted, RunFailed, SelectionMetric } from '@mlops/contracts';

/** What the CLI has seen of one tuning so far. */
export interface TuningProgress {
  trialCount: number | undefined;
  readonly completed: RunCompleted['data'][];
  readonly failed: RunFailed['data'][];
}

/** A fresh, empty progress record. */
export function emptyProgress(): TuningProgress {
  return { trialCount: undefined, completed: [], failed: [] };
}

/** One line: `[#########.....] 9/15 trials (1 failed)`. */
export function progressBar(progress: TuningProgress, width = 30): string {
  const done = progress.completed.length + progress.failed.length;
  const total = progress.trialCount ?? 0;
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  const failed = progress.failed.length > 0 ? ` (${progress.failed.length} failed)` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total || '?'} trials${failed}`;
}

/** The results table, in trial order, with the registered best trial marked. */
export function resultsTable(
  progress: TuningProgress,
  bestTrialId: string | undefined,
  metric: SelectionMetric,
): string {
  const tables = progress.completed.some((r) => r.params.scale !== undefined);
  const preprocessing = tables ? `  ${'scale'.padEnd(5)}  ${'impute'.padEnd(13)}  ${'missing cat.'.padEnd(13)}` : '';
  const cv = progress.completed.find((r) => r.cv !== undefined)?.cv;
  const cvHeader = cv === undefined ? '' : `  ${`cv ${metric} (k=${cv.k})`.padStart(21)}`;
  const extra = extraColumns(progress.completed);
  const extraHeader = extra.map((c) => `  ${c.name.padEnd(c.width)}`).join('');
  const header = `${'C'.padStart(8)}  ${'solver'.padEnd(9)}${extraHeader}${preprocessing}  accuracy  precision  recall      f1  roc_auc  log_loss  iters${cvHeader}`;
  const rows = [...progress.completed]
    .sort((a, b) => a.trial_index - b.trial_index)
    .map((r) => {
      const m = r.metrics;
      const p = r.params;
      const cells = [
        shortNumber(p.C).padStart(8),
        p.solver.padEnd(9),
        ...extra.map((c) => c.cell(p).padEnd(c.width)),
        ...(tables
          ? [String(p.scale).padEnd(5), String(p.impute).padEnd(13), String(p.categorical_missing).padEnd(13)]
          : []),
        m.accuracy.toFixed(3).padStart(8),
        m.precision.toFixed(4).padStart(9),
        m.recall.toFixed(4).padStart(7),
        m.f1.toFixed(4).padStart(7),
        (m.roc_auc === null ? 'n/a' : m.roc_auc.toFixed(4)).padStart(7),
        m.log_loss.toFixed(4).padStart(8),
        `${r.n_iter}${r.converged ? '' : '!'}`.padStart(5),
        ...(cv === undefined ? [] : [cvCell(r.cv, metric).padStart(21)]),
      ];
      return `${cells.join('  ')}${r.trial_id === bestTrialId ? `  ← best ${metric}` : ''}`;
    });
  const failures = progress.failed.map((f) => `  failed: C=${f.params.C} ${f.params.solver}: ${f.reason}`);
  const legend = progress.completed.some((r) => !r.converged)
    ? ['iters ending in !: the solver stopped at max_iter before converging (ConvergenceWarning in scikit-learn)']
    : [];
  return [header, ...rows, ...legend, ...failures].join('\n');
}

type TrialParams = RunCompleted['data']['params'];

/** penalty, l1_ratio and class_weight, each shown when a trial of the tuning set it to other than the default. */
function extraColumns(trials: readonly RunCompleted['data'][]) {
  const columns = [
    {
      name: 'penalty',
      shown: trials.some((r) => r.params.penalty !== 'l2'),
      cell: (p: TrialParams) => p.penalty ?? 'none',
    },
    {
      name: 'l1_ratio',
      shown: trials.some((r) => r.params.l1_ratio !== undefined),
      cell: (p: TrialParams) => (p.l1_ratio === undefined ? '-' : shortNumber(p.l1_ratio)),
    },
    {
      name: 'class_weight',
      shown: trials.some((r) => r.params.class_weight !== undefined && r.params.class_weight !== null),
      cell: (p: TrialParams) => classWeightText(p.class_weight),
    },
  ];
  return columns
    .filter((c) => c.shown)
    .map((c) => ({ ...c, width: Math.max(c.name.length, ...trials.map((r) => c.cell(r.params).length)) }));
}

function classWeightText(weight: TrialParams['class_weight']): string {
  if (weight === undefined || weight === null) return 'none';
  if (typeof weight === 'string') return weight;
  return Object.entries(weight)
    .map(([label, w]) => `${label}:${w}`)
    .join(',');
}

/** A number in at most 4 significant digits (a drawn C of a random search is 1.4855912855264068). */
function shortNumber(value: number): string {
  const text = String(value);
  return text.length <= 8 ? text : String(Number(value.toPrecision(4)));
}

/** The column roles of a CSV table's tuning, printed when it starts (nothing for the synthetic data set). */
export function columnReport(dataset: DatasetSummary): string | undefined {
  const roles = dataset.columns;
  if (roles === undefined) return undefined;
  const list = (names: readonly string[]) => (names.length === 0 ? '(none)' : names.join(', '));
  const gaps = dataset.rows_without_label ?? 0;
  return [
    `columns of ${dataset.name} (target ${roles.target}; ${dataset.n_train + dataset.n_test} labelled rows${gaps > 0 ? `, ${gaps} without a label left out` : ''}):`,
    `  numeric      ${list(roles.numeric)}`,
    `  categorical  ${list(roles.categorical)}`,
    `  excluded     ${roles.excluded.length === 0 ? '(none)' : roles.excluded.map((e) => `${e.name} (${e.reason})`).join(', ')}`,
  ].join('\n');
}

/** A trial's mean ± std over the folds of the selection metric ("n/a" without cv or a fold's roc_auc). */
function cvCell(cv: RunCompleted['data']['cv'], metric: SelectionMetric): string {
  const [mean, std] = [cv?.mean[metric], cv?.std[metric]];
  return mean === undefined || mean === null || std === undefined || std === null
    ? 'n/a'
    : `${mean.toFixed(4)} ± ${std.toFixed(4)}`;
}
