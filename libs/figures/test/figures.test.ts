import { makeClassification, RandomState, rocAuc } from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import {
  confusionMatrixFigure,
  driftOverTimeFigure,
  metricByCFigure,
  renderSvg,
  rocCurve,
  rocCurveFigure,
} from '../src/index.js';

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

describe('the metric-against-C legend', () => {
  /** The legend's entries as the SVG shows them (each line of a wrapped label on its own line of the text). */
  async function legend(series: readonly string[]): Promise<{ labels: string[]; title: string | undefined }> {
    const points = [0.1, 1].flatMap((C, i) =>
      series.map((s, j) => ({ C, series: s, value: 0.8 + j / 100 + i / 50, best: false })),
    );
    const svg = await renderSvg(metricByCFigure(points, 'accuracy', 'the test split'));
    const labels = [...svg.matchAll(/role-legend-label[^>]*><text[^>]*>(.*?)<\/text>/g)].map((m) =>
      m[1]!.replace(/<tspan[^>]*>(.*?)<\/tspan>/g, '$1\n').trim(),
    );
    const title = /role-legend-title[^>]*><text[^>]*>([^<]*)</.exec(svg)?.[1];
    return { labels, title };
  }

  it('when series differ only in class_weight and penalty, then each entry is told apart in full', async () => {
    const { labels, title } = await legend([
      'liblinear class_weight=None penalty=l1',
      'liblinear class_weight=balanced penalty=l1',
      'liblinear class_weight=None penalty=l2',
      'liblinear class_weight=balanced penalty=l2',
    ]);
    expect(labels).toEqual([
      'liblinear cw=None penalty=l1',
      'liblinear cw=None penalty=l2',
      'liblinear cw=balanced penalty=l1',
      'liblinear cw=balanced penalty=l2',
    ]);
    expect(title).toBe('solver and settings');
  });

  it('when labels are long (CSV preprocessing, elasticnet), then they wrap between words and none is cut', async () => {
    const series = [0.2, 0.5].map(
      (r) =>
        `saga categorical_missing=category class_weight={"0":1,"1":3} impute=median l1_ratio=${r} penalty=elasticnet`,
    );
    const { labels } = await legend(series);
    expect(labels).toEqual([
      'saga cat_missing=category\ncw={"0":1,"1":3} impute=median\nl1_ratio=0.2 penalty=elasticnet',
      'saga cat_missing=category\ncw={"0":1,"1":3} impute=median\nl1_ratio=0.5 penalty=elasticnet',
    ]);
  });

  it('when series are solvers alone, then the legend is titled solver and labels are as given', async () => {
    expect(await legend(['lbfgs', 'saga'])).toEqual({ labels: ['lbfgs', 'saga'], title: 'solver' });
  });
});

describe('figures of names their users chose', () => {
  /** Names Vega's expression parser takes for something else, and names that need escaping in JSON, SVG or CSV. */
  const NAMES = [
    'zeta',
    'constructor',
    'hasOwnProperty',
    'toString',
    'valueOf',
    '__proto__',
    'if',
    'datum',
    "it's",
    'say "hi"',
    'a\nb',
    'a.b',
    '<script>',
    'alpha',
  ];

  /** The texts of one part of an SVG (an axis by its aria label's start), unescaped, in document order. */
  function textsOf(svg: string, part: string): string[] {
    const start = svg.indexOf(part);
    const end = svg.indexOf('<g class="mark-group role-', start + 1);
    const texts = svg.slice(start, end < 0 ? undefined : end).matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g);
    return [...texts].map((m) => m[1]!.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&'));
  }

  it('when columns are named like Object members, keywords, quotes or markup, then the drift figure has a row for each in the order given', async () => {
    const cells = [0, 1].flatMap((window) =>
      NAMES.map((column, i) => ({ window, column, ratio: i / 4, drifted: i % 2 === window })),
    );
    const svg = await renderSvg(driftOverTimeFigure(cells, 'm v1'));
    expect(textsOf(svg, 'aria-label="Y-axis')).toEqual(NAMES);
  });

  it('when classes are named like Object members, then the confusion matrix shows them in the order given', async () => {
    for (const classes of [
      ['toString', 'constructor'],
      ['valueOf', 'hasOwnProperty'],
      ['if', '__proto__'],
    ] as const) {
      const svg = await renderSvg(
        confusionMatrixFigure(
          {
            classes,
            counts: [
              [1, 2],
              [3, 4],
            ],
          },
          'threshold 0.5',
        ),
      );
      expect(textsOf(svg, 'aria-label="X-axis')).toEqual([...classes, 'predicted']);
      expect(textsOf(svg, 'aria-label="Y-axis')).toEqual([...classes, 'actual']);
    }
  });

  it('when series are named like Object members beside shortened ones, then each legend entry shows its own series', async () => {
    const series = ['constructor', 'toString', '__proto__', 'if', 'liblinear class_weight=balanced', "it's"];
    const points = series.map((s, i) => ({ C: 10 ** i, series: s, value: 0.8 + i / 100, best: i === 0 }));
    const svg = await renderSvg(metricByCFigure(points, 'accuracy', 'the test split'));
    expect([...svg.matchAll(/role-legend-label[^>]*><text[^>]*>(.*?)<\/text>/g)].map((m) => m[1])).toEqual([
      '__proto__',
      'constructor',
      'if',
      "it's",
      'liblinear cw=balanced',
      'toString',
    ]);
  });
});
