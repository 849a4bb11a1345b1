import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectMlflowBinary } from '@mlops/testkit';
import { describe, expect, it } from 'vitest';
import {
  buildCondaYaml,
  buildInputExamples,
  buildMlmodel,
  buildOnnxLogisticModel,
  buildPythonEnvYaml,
  buildRequirementsTxt,
  MODEL_FILES,
} from '../src/index.js';
import { COEF, INTERCEPT, NAMES, VERSIONS } from './support/example-model.js';

describe('compatibility with MLflow and onnxruntime (Python in the project venv)', () => {
  it('when the model directory is loaded with mlflow.pyfunc, then it predicts our probabilities', async () => {
    const python = join(projectMlflowBinary(), '..', 'python');
    expect(existsSync(python), `${python} missing: run bash scripts/setup.sh`).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'model-format-'));
    try {
      const rows = [
        [1, 2, 3, 4],
        [0, 0, 0, 0],
        [-2, 0.5, 1, -1],
      ];
      const examples = buildInputExamples(NAMES, rows);
      const files: Record<string, string | Uint8Array> = {
        [MODEL_FILES.onnx]: buildOnnxLogisticModel({ coef: COEF, intercept: INTERCEPT }),
        [MODEL_FILES.mlmodel]: buildMlmodel({
          modelId: 'm-test',
          runId: 'run-test',
          artifactPath: dir,
          featureNames: NAMES,
          createdAt: new Date(),
          versions: VERSIONS,
          hasInputExample: true,
        }),
        [MODEL_FILES.conda]: buildCondaYaml(VERSIONS),
        [MODEL_FILES.pythonEnv]: buildPythonEnvYaml(VERSIONS),
        [MODEL_FILES.requirements]: buildRequirementsTxt(VERSIONS),
        [MODEL_FILES.inputExample]: examples.inputExample,
        [MODEL_FILES.servingInputExample]: examples.servingInputExample,
      };
      for (const [name, body] of Object.entries(files)) await writeFile(join(dir, name), body);
      const script = [
        'import json, sys, onnx, pandas, mlflow.pyfunc',
        `onnx.checker.check_model(onnx.load(sys.argv[1] + "/model.onnx"), full_check=True)`,
        'model = mlflow.pyfunc.load_model(sys.argv[1])',
        `out = model.predict(pandas.DataFrame(json.loads(sys.argv[2]), columns=${JSON.stringify(NAMES)}, dtype="float64"))`,
        'print(json.dumps({"probability": [float(v) for v in out["probability"]], "label": [int(v) for v in out["label"]]}))',
      ].join('\n');
      const { stdout } = await promisify(execFile)(python, ['-c', script, dir, JSON.stringify(rows)], {
        timeout: 60_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { probability: number[]; label: number[] };
      const expected = rows.map((r) => 1 / (1 + Math.exp(-(r.reduce((s, v, j) => s + v * COEF[j]!, 0) + INTERCEPT))));
      const worst = Math.max(...result.probability.map((p, i) => Math.abs(p - expected[i]!)));
      expect(worst).toBeLessThan(1e-6);
      expect(result.label).toEqual(expected.map((p) => (p > 0.5 ? 1 : 0)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
