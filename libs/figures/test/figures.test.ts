import { makeClassification, RandomState, rocAuc } from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import { confusionMatrixFigure, metricByCFigure, renderSvg, rocCurve, rocCurveFigure } from '../src/index.js';

describe('rocCurve', () => {
  it("when scored as in scikit-learn's roc_curve example, then the points, thresholds and area are the same", () => {
    const curve = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
    expect(Array.from(curve.fpr)).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(Array.from(curve.tpr)).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(Array.from(curve.thresholds)).toEqual([Number.POSITIVE_INFINITY, 0.8, 0.4, 0.35, 0.1]);
    expect(curve.auc).toBe(0.75);
  });

  it('when scores tie, then one point per distinct score and the area equals the rank-based ROC AUC', () => {
    const rng = new RandomState(3);
    const labels = Array.from({ length: 500 }, () => rng.randint(0, 2));
    const scores = labels.map((y) => Math.round((y * 0.3 + rng.randomSample()) * 20) / 20);
    const curve = rocCurve(labels, scores);
    expect(curve.thresholds.length).toBe(new Set(scores).size + 1);
    expect(curve.auc).toBeCloseTo(rocAuc(labels, scores), 12);
    expect([curve.fpr.at(-1), curve.tpr.at(-1)]).toEqual([1, 1]);
  });

  it('when labels and scores differ in length, then it refuses', () => {
    expect(() => rocCurve([0, 1], [0.5])).toThrow('2 labels but 1 scores');
  });
});

describe('figures rendered to SVG', () => {
  it('when a tuning is drawn, then each figure is standalone SVG naming its metric, area and classes', async () => {
    const { y } = makeClassification({ nSamples: 60, nFeatures: 4, randomState: 1 });
    const scores = Array.from(y, (v, i) => (v + (i % 7) / 7) / 2);
    const points = [0.01, 1, 100].flatMap((C, i) => [
      { C, series: 'lbfgs', value: 0.8 + i / 100, best: false },
      { C, series: 'saga', value: 0.79 + i / 50, best: i === 2 },
    ]);
    const svgs = await Promise.all([
      renderSvg(metricByCFigure(points, 'accuracy', 'the test split (200 rows)')),
      renderSvg(rocCurveFigure(rocCurve(y, scores), 'best trial t7 on 60 holdout rows')),
      renderSvg(
        confusionMatrixFigure(
          {
            classes: ['no', 'yes'],
            counts: [
              [40, 3],
              [5, 12],
            ],
          },
          'threshold 0.5',
        ),
      ),
    ]);
    for (const svg of svgs) expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>$/);
    expect(svgs[0]).toContain('accuracy against C');
    expect(svgs[0]).toContain('saga');
    expect(svgs[1]).toContain(`ROC curve (AUC ${rocCurve(y, scores).auc.toFixed(3)})`);
    expect(svgs[2]).toContain('>yes<');
    expect(svgs[2]).toContain('>40<');
  });
});
