import { randomUUID } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MlflowClient } from '@mlops/mlflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type InProcessStack,
  serveFirstVersion,
  startInProcessStack,
  waitFor,
} from '../e2e/support/in-process-stack.js';
import { renderedDom, screenshot } from './chromium.js';

const modelName = `browser_figures_${randomUUID().slice(0, 8)}`;
const FIGURES = ['accuracy_by_C.svg', 'roc_curve.svg', 'confusion_matrix.svg'];
let stack: InProcessStack;
let mlflow: MlflowClient;
let parent: { experimentId: string; runId: string };

beforeAll(async () => {
  stack = await startInProcessStack({ mlflowUri: inject('mlflowTrackingUri'), modelName });
  mlflow = stack.mlflow;
  await serveFirstVersion(stack, modelName);
  const version = await mlflow.getModelVersion(modelName, '1');
  const trial = await mlflow.getRun(version.runId ?? '');
  parent = { experimentId: trial.info.experimentId, runId: trial.data.tags['mlflow.parentRunId'] ?? '' };
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe("a tuning's figures in the MLflow UI (headless Chromium)", () => {
  it('when the default tuning is done, then its parent run holds the three figures and the experiment opens as model training', async () => {
    // Drawn once the verdict is out: serving does not wait for them.
    const files = await waitFor('three figures', async () => {
      const listed = await mlflow.listArtifacts({ runId: parent.runId, path: 'figures' });
      return listed.length >= FIGURES.length ? listed : undefined;
    });
    expect(files.map((f) => f.name).sort()).toEqual([...FIGURES].sort());
    const experiment = await mlflow.getExperiment(parent.experimentId);
    expect(experiment.tags['mlflow.experimentKind']).toBe('custom_model_development');
  });

  it("when a person opens each figure in the parent run's artifact view, then the UI shows it as an image", async () => {
    const base = `${inject('mlflowTrackingUri')}/#/experiments/${parent.experimentId}/runs/${parent.runId}`;
    // The UI's "Model training" view (it opens in its GenAI view unless asked).
    const page = (figure: string) => ({ url: `${base}/artifactPath/figures/${figure}?workflowType=machine_learning` });
    const shots = join(process.cwd(), 'test-results');
    await mkdir(shots, { recursive: true });
    for (const figure of FIGURES) {
      const dom = await renderedDom(page(figure));
      // The preview fetches the file and shows it from a blob URL, its path as the image's alt text.
      const images = [...dom.matchAll(/<img alt="([^"]*)" src="(blob:[^"]+)"/g)].map((m) => m[1]);
      expect(images, figure).toEqual([`figures/${figure}`]);
      const path = join(shots, `mlflow-${figure.replace('.svg', '.png')}`);
      await screenshot(page(figure), path);
      expect((await stat(path)).size).toBeGreaterThan(10_000);
    }
  }, 180_000);
});
