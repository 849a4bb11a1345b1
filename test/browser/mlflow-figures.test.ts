import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MlflowClient } from '@mlops/mlflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type InProcessStack,
  serveFirstVersion,
  startInProcessStack,
  waitFor,
} from '../e2e/support/in-process-stack.js';
import { launchChromium } from './support/chromium.js';

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

  it("when a person opens each figure in the parent run's artifact view, then the UI shows it as a loaded image", async () => {
    const base = `${inject('mlflowTrackingUri')}/#/experiments/${parent.experimentId}/runs/${parent.runId}`;
    const shots = join(process.cwd(), 'test-results');
    const browser = await launchChromium();
    try {
      for (const figure of FIGURES) {
        const page = await browser.newPage({ width: 1400, height: 1000 });
        // The UI's "Model training" view (it opens in its GenAI view unless asked).
        await page.goto(`${base}/artifactPath/figures/${figure}?workflowType=machine_learning`);
        // The preview fetches the file and shows it from a blob URL, its path as the image's alt text.
        const shown = await page.waitFor<{ src: string; width: number }>(
          `${figure} shown`,
          `(() => { const img = document.querySelector('img[alt="figures/${figure}"]');
            return img && img.complete && img.naturalWidth > 0 ? { src: img.src, width: img.naturalWidth } : null; })()`,
          30_000,
        );
        expect(shown.src).toMatch(/^blob:/);
        expect(shown.width).toBeGreaterThan(200);
        const path = join(shots, `mlflow-${figure.replace('.svg', '.png')}`);
        await page.screenshot(path, 1000);
        expect((await stat(path)).size).toBeGreaterThan(10_000);
        expect(page.problems.filter((p) => p.includes('figures'))).toEqual([]);
      }
    } finally {
      await browser.close();
    }
  }, 180_000);
});
