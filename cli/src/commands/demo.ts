import {
  classificationReport,
  LogisticRegression,
  makeClassification,
  SOLVERS,
  takeRows,
  takeValues,
  trainTestSplit,
} from '@mlops/ml';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';

const C_GRID = [0.01, 0.1, 1, 10, 100] as const;

/** `mlops demo`: the seed experiment offline — 1000×20 synthetic data, 20 % split, 15 fits, a results table. */
export async function demoCommand(args: string[], io: CliIo): Promise<number> {
  if (args.length > 0) throw new UsageError(`demo takes no options, got ${args.join(' ')}`);
  const { X, y } = makeClassification({ nSamples: 1000, nFeatures: 20, randomState: 42 });
  const { train, test } = trainTestSplit(X.rows, { testSize: 0.2, randomState: 42 });
  const [trainX, trainY, testX, testY] = [
    takeRows(X, train),
    takeValues(y, train),
    takeRows(X, test),
    takeValues(y, test),
  ];
  const rows = SOLVERS.flatMap((solver) =>
    C_GRID.map((C) => {
      const started = performance.now();
      const model = new LogisticRegression({ solver, C, randomState: 42 }).fit(trainX, trainY);
      const fitMs = performance.now() - started;
      const report = classificationReport(testY, model.predict(testX), model.predictPositiveProba(testX));
      return { C, solver, report, fitMs, nIter: model.fitSummary.nIter, converged: model.fitSummary.converged };
    }),
  );
  const best = rows.reduce((a, b) => (b.report.accuracy > a.report.accuracy ? b : a));
  io.stdout(
    'make_classification(n_samples=1000, n_features=20, random_state=42), 20 % test split (random_state=42)\n\n',
  );
  io.stdout(
    `${'C'.padStart(6)}  ${'solver'.padEnd(9)}  accuracy  precision  recall     f1  roc_auc  log_loss  iters  fit ms\n`,
  );
  for (const r of rows) {
    const m = r.report;
    const cells = [
      String(r.C).padStart(6),
      r.solver.padEnd(9),
      m.accuracy.toFixed(3).padStart(8),
      m.precision.toFixed(4).padStart(9),
      m.recall.toFixed(4).padStart(7),
      m.f1.toFixed(4).padStart(6),
      (m.rocAuc ?? Number.NaN).toFixed(4).padStart(7),
      m.logLoss.toFixed(4).padStart(8),
      `${r.nIter}${r.converged ? '' : '!'}`.padStart(5),
      r.fitMs.toFixed(2).padStart(6),
    ];
    io.stdout(`${cells.join('  ')}${r === best ? '  ← best' : ''}\n`);
  }
  io.stdout(`\nbest: solver=${best.solver} C=${best.C} accuracy=${best.report.accuracy.toFixed(3)} (first of ties)\n`);
  return 0;
}
