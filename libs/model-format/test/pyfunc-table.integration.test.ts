import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type CategoricalMissing,
  type Category,
  compilePreprocessor,
  fitPreprocessor,
  LogisticRegression,
  tableFromRows,
} from '@mlops/ml';
import { projectMlflowBinary } from '@mlops/testkit';
import { describe, expect, it } from 'vitest';
import { buildMlmodel, buildOnnxTableModel, MODEL_FILES } from '../src/index.js';
import { VERSIONS } from './support/example-model.js';

const COLUMNS = [
  { name: 'tenure', kind: 'number' },
  { name: 'charges', kind: 'number' },
  { name: 'plan', kind: 'text' },
  { name: 'dependents', kind: 'number' },
] as const;
const PLANS = ['basic', 'plus', 'pro', 'Ärger', '😀 max'];

/** 120 training rows with missing cells in every column; labels from a noisy rule. */
function trainingRows(): { rows: Category[][]; y: Float64Array } {
  const rows: Category[][] = [];
  const y = new Float64Array(120);
  for (let i = 0; i < 120; i++) {
    const tenure = i % 9 === 0 ? null : 1 + ((i * 17) % 72);
    const charges = i % 7 === 0 ? null : 20 + ((i * 31) % 100) + 0.5;
    const plan = i % 11 === 0 ? null : PLANS[(i * 7) % PLANS.length]!;
    const dependents = i % 13 === 0 ? null : i % 4;
    rows.push([tenure, charges, plan, dependents]);
    y[i] = ((tenure ?? 30) < 25 ? 1 : 0) ^ (i % 5 === 0 ? 1 : 0);
  }
  return { rows, y };
}

/** Rows to score: missing cells (null, and the NA strings "NA" and ""), a plan and a dependents count never seen in training. */
const SCORED: Category[][] = [
  [12, 70.25, 'basic', 1],
  [null, null, null, null],
  [60, 20, 'enterprise', 9],
  [3, 119.5, '😀 max', 0],
  [40, 55, 'Ärger', null],
  [5, 30, 'NA', 1],
  [7, 40, '', 2],
];

async function pyfuncPredict(dir: string): Promise<{ probability: number[]; label: string[] }> {
  const python = join(projectMlflowBinary(), '..', 'python');
  const script = [
    'import json, sys, numpy, onnx, pandas, mlflow.pyfunc',
    'onnx.checker.check_model(onnx.load(sys.argv[1] + "/model.onnx"), full_check=True)',
    'rows = json.loads(sys.argv[2])',
    'frame = pandas.DataFrame({',
    '  "tenure": pandas.Series([r[0] for r in rows], dtype="float64"),',
    '  "charges": pandas.Series([r[1] for r in rows], dtype="float64"),',
    '  "plan": pandas.Series([r[2] for r in rows], dtype="object"),',
    '  "dependents": pandas.Series([r[3] for r in rows], dtype="float64"),',
    '})',
    'out = mlflow.pyfunc.load_model(sys.argv[1]).predict(frame)',
    'print(json.dumps({"probability": [float(v) for v in out["probability"]], "label": [str(v) for v in out["label"]]}))',
  ].join('\n');
  const { stdout } = await promisify(execFile)(python, ['-c', script, dir, JSON.stringify(SCORED)], {
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { probability: number[]; label: string[] };
}

describe('a table model in MLflow (ONNX with its preprocessing, loaded by mlflow.pyfunc)', () => {
  for (const [scale, categoricalMissing] of [
    [true, 'most_frequent'],
    [false, 'category'],
  ] as [boolean, CategoricalMissing][]) {
    it(`when a DataFrame of raw columns with missing and unseen values is scored (scale ${scale}, missing ${categoricalMissing}), then probabilities agree with ours within 1e-6 and labels are the text labels`, async () => {
      const { rows, y } = trainingRows();
      const train = tableFromRows(COLUMNS, rows);
      const features = { numeric: ['tenure', 'charges'], categorical: ['plan', 'dependents'] };
      const fitted = fitPreprocessor(train, features, { numericImpute: 'median', scale, categoricalMissing });
      const compiled = compilePreprocessor(fitted);
      const model = new LogisticRegression({ solver: 'lbfgs', C: 1 }).fit(compiled.transform(train), y);
      const ours = model.predictPositiveProba(compiled.transform(tableFromRows(COLUMNS, SCORED)));
      const dir = await mkdtemp(join(tmpdir(), 'model-format-table-'));
      try {
        const onnx = buildOnnxTableModel({
          preprocessing: fitted,
          coef: Array.from(model.coef),
          intercept: model.intercept,
          classLabels: ['stays', 'churns'],
        });
        await writeFile(join(dir, MODEL_FILES.onnx), onnx);
        const mlmodel = buildMlmodel({
          modelId: 'm-table',
          runId: 'run-table',
          artifactPath: dir,
          featureNames: [],
          createdAt: new Date(),
          versions: VERSIONS,
          hasInputExample: false,
          table: { columns: COLUMNS, labelType: 'string' },
        });
        await writeFile(join(dir, MODEL_FILES.mlmodel), mlmodel);
        const result = await pyfuncPredict(dir);
        const worst = Math.max(...result.probability.map((p, i) => Math.abs(p - ours[i]!)));
        expect(worst).toBeLessThan(1e-6);
        expect(result.label).toEqual(Array.from(ours, (p) => (p > 0.5 ? 'churns' : 'stays')));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, 90_000);
  }
});
