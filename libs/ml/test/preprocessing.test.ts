import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../src/errors.js';
import { LogisticRegression } from '../src/linear/logistic-regression.js';
import type { SolverName } from '../src/linear/params.js';
import {
  type CategoricalMissing,
  compilePreprocessor,
  encodedFeatureNames,
  fitPreprocessor,
  type PreprocessingOptions,
} from '../src/preprocessing/column-transformer.js';
import type { NumericImputeStrategy } from '../src/preprocessing/imputer.js';
import { encodeBinaryTarget } from '../src/preprocessing/label-encoder.js';
import { columnNamed, type RawColumn, type RawTable, takeTableRows } from '../src/preprocessing/raw-table.js';
import { loadFixture } from './support/fixtures.js';

type Cell = number | string | null;

interface PreprocessingRun {
  config: {
    numeric_impute: NumericImputeStrategy;
    numeric_fill?: number;
    scale: boolean;
    categorical_missing: CategoricalMissing;
  };
  statistics: {
    numeric: { name: string; impute: number; mean?: number; scale?: number }[];
    categorical: { name: string; impute: Cell; categories: Cell[] }[];
  };
  feature_names: string[];
  train: number[][];
  test: number[][];
  models: {
    solver: SolverName;
    C: number;
    max_iter: number;
    random_state: number;
    coef: number[];
    intercept: number;
    n_iter: number;
    proba_test: number[];
  }[];
}

interface PreprocessingCase {
  name: string;
  target: string;
  numeric: string[];
  categorical: string[];
  columns_train: Record<string, Cell[]>;
  columns_test: Record<string, Cell[]>;
  labelled_rows: number;
  classes: (string | number)[];
  y: number[];
  runs: PreprocessingRun[];
}

const { cases } = loadFixture<{ cases: PreprocessingCase[] }>('preprocessing.json');

/** The fixture's columns typed as pandas.read_csv types them: numbers (NaN where missing) unless a cell is text. */
function tableOf(columns: Record<string, Cell[]>, textColumns: ReadonlySet<string>): RawTable {
  const entries = Object.entries(columns);
  return {
    rows: entries[0]![1].length,
    columns: entries.map(([name, values]): RawColumn => {
      if (textColumns.has(name))
        return { name, kind: 'text', values: values.map((v) => (v === null ? null : String(v))) };
      return { name, kind: 'number', values: Float64Array.from(values, (v) => (v === null ? Number.NaN : Number(v))) };
    }),
  };
}

function textColumnsOf(c: PreprocessingCase): Set<string> {
  const all = { ...c.columns_train };
  return new Set(
    Object.keys(all).filter((name) =>
      [...c.columns_train[name]!, ...c.columns_test[name]!].some((v) => typeof v === 'string'),
    ),
  );
}

function optionsOf(run: PreprocessingRun): PreprocessingOptions {
  return {
    numericImpute: run.config.numeric_impute,
    ...(run.config.numeric_fill === undefined ? {} : { numericFill: run.config.numeric_fill }),
    scale: run.config.scale,
    categoricalMissing: run.config.categorical_missing,
  };
}

/** Largest |a - b| / max(1, |b|). */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

/** scikit-learn names transformed columns `num__x` / `cat__x_1.0`; ours are `x` / `x_1`. */
function sklearnName(name: string): string {
  return name.replace(/^(num|cat)__/, '').replace(/_(-?\d+)\.0$/, '_$1');
}

describe('preprocessing: parity with scikit-learn 1.8 (ColumnTransformer of SimpleImputer, StandardScaler, OneHotEncoder)', () => {
  for (const c of cases) {
    const text = textColumnsOf(c);
    const train = tableOf(c.columns_train, text);
    const test = tableOf(c.columns_test, text);
    const target = encodeBinaryTarget(columnNamed(train, c.target));
    const labelled = takeTableRows(train, target.rows);

    it(`${c.name}: when the target is encoded, then classes, kept rows and codes equal LabelEncoder's`, () => {
      expect(target.classes).toEqual(c.classes);
      expect(target.rows.length).toBe(c.labelled_rows);
      expect(target.missing).toBe(train.rows - c.labelled_rows);
      expect(Array.from(target.y)).toEqual(c.y);
    });

    for (const run of c.runs) {
      const label = `${c.name} ${JSON.stringify(run.config)}`;
      it(`${label}: when fitted, then every statistic, category order and feature name equals scikit-learn's`, () => {
        const fitted = fitPreprocessor(labelled, c, optionsOf(run));
        expect(fitted.numeric.map((s) => s.name)).toEqual(run.statistics.numeric.map((s) => s.name));
        fitted.numeric.forEach((step, j) => {
          const expected = run.statistics.numeric[j]!;
          expect(maxRelDiff([step.fill], [expected.impute])).toBeLessThan(1e-12);
          expect(step.mean === null).toBe(expected.mean === undefined);
          const learned = [step.mean ?? 0, step.scale ?? 1];
          expect(maxRelDiff(learned, [expected.mean ?? 0, expected.scale ?? 1])).toBeLessThan(1e-12);
        });
        expect(fitted.categorical.map((s) => ({ name: s.name, impute: s.fill, categories: s.categories }))).toEqual(
          run.statistics.categorical,
        );
        expect(encodedFeatureNames(fitted)).toEqual(run.feature_names.map(sklearnName));
      });

      it(`${label}: when transforming the training rows and rows with unseen categories and missing cells, then the matrices agree within 1e-12`, () => {
        const compiled = compilePreprocessor(fitPreprocessor(labelled, c, optionsOf(run)));
        const Xt = compiled.transform(labelled);
        const XtTest = compiled.transform(test);
        expect([Xt.rows, Xt.cols]).toEqual([run.train.length, run.train[0]!.length]);
        expect(maxRelDiff(Xt.data, run.train.flat())).toBeLessThan(1e-12);
        expect([XtTest.rows, XtTest.cols]).toEqual([run.test.length, run.test[0]!.length]);
        expect(maxRelDiff(XtTest.data, run.test.flat())).toBeLessThan(1e-12);
      });

      it(`${label}: when LogisticRegression is fitted on the transformed rows, then coef, n_iter and probabilities agree within 1e-8`, () => {
        const compiled = compilePreprocessor(fitPreprocessor(labelled, c, optionsOf(run)));
        const Xt = compiled.transform(labelled);
        const XtTest = compiled.transform(test);
        for (const m of run.models) {
          const model = new LogisticRegression({
            solver: m.solver,
            C: m.C,
            maxIter: m.max_iter,
            randomState: m.random_state,
          }).fit(Xt, target.y);
          expect(model.fitSummary.nIter, `${m.solver} n_iter`).toBe(m.n_iter);
          expect(maxRelDiff([...model.coef, model.intercept], [...m.coef, m.intercept]), m.solver).toBeLessThan(1e-8);
          expect(maxRelDiff(model.predictPositiveProba(XtTest), m.proba_test), m.solver).toBeLessThan(1e-8);
        }
      });
    }
  }
});

describe('preprocessing: refusals', () => {
  const column = (name: string, values: Cell[]): RawColumn =>
    values.some((v) => typeof v === 'string')
      ? { name, kind: 'text', values: values.map((v) => (v === null ? null : String(v))) }
      : { name, kind: 'number', values: Float64Array.from(values, (v) => (v === null ? Number.NaN : Number(v))) };

  it('when the target has one class once the rows without a label are left out, then the error names the column and the class', () => {
    expect(() => encodeBinaryTarget(column('churned', ['yes', null, 'yes', null]))).toThrow(
      /target "churned" holds a single class, "yes" \(after leaving out 2 rows without a label\)/,
    );
  });

  it('when the target has three classes, then the error says only binary targets are supported', () => {
    expect(() => encodeBinaryTarget(column('plan', ['a', 'b', 'c']))).toThrow(/3 classes .*only binary/);
  });

  it('when a numeric column has no value at all, then fitting names it', () => {
    const table: RawTable = { rows: 2, columns: [column('tenure', [null, null])] };
    const options = { numericImpute: 'mean', scale: true, categoricalMissing: 'most_frequent' } as const;
    expect(() => fitPreprocessor(table, { numeric: ['tenure'], categorical: [] }, options)).toThrow(InvalidDataError);
    expect(() => fitPreprocessor(table, { numeric: ['tenure'], categorical: [] }, options)).toThrow(
      /column "tenure" has no value in any row/,
    );
  });

  it('when a column fitted as numbers is given text at transform time, then the error names it', () => {
    const options = { numericImpute: 'mean', scale: false, categoricalMissing: 'most_frequent' } as const;
    const fitted = fitPreprocessor(
      { rows: 2, columns: [column('tenure', [1, 2])] },
      { numeric: ['tenure'], categorical: [] },
      options,
    );
    expect(() => compilePreprocessor(fitted).transform({ rows: 1, columns: [column('tenure', ['x'])] })).toThrow(
      /column "tenure" must hold numbers/,
    );
  });
});

describe('preprocessing: raw columns coded for the prediction log', () => {
  const train: RawTable = {
    rows: 4,
    columns: [
      { name: 'tenure', kind: 'number', values: Float64Array.from([1, 2, Number.NaN, 4]) },
      { name: 'plan', kind: 'text', values: ['basic', 'plus', null, 'basic'] },
      { name: 'seats', kind: 'number', values: Float64Array.from([1, 2, 2, Number.NaN]) },
    ],
  };
  /** Columns in another order than the model's: a known value, an unseen one and a missing one in each column. */
  const request: RawTable = {
    rows: 3,
    columns: [
      { name: 'seats', kind: 'number', values: Float64Array.from([2, 3, Number.NaN]) },
      { name: 'plan', kind: 'text', values: ['plus', 'gold', null] },
      { name: 'tenure', kind: 'number', values: Float64Array.from([3.5, Number.NaN, -1]) },
    ],
  };
  const features = { numeric: ['tenure'], categorical: ['plan', 'seats'] };
  const compiled = (categoricalMissing: CategoricalMissing) =>
    compilePreprocessor(fitPreprocessor(train, features, { numericImpute: 'mean', scale: true, categoricalMissing }));

  it('when missing cells are imputed (most_frequent), then numbers are as sent, categories their index, unseen ones the count, missing cells NaN', () => {
    const codes = compiled('most_frequent').codes(request);
    expect([codes.rows, codes.cols]).toEqual([3, 3]);
    // tenure; plan of [basic, plus]; seats of [1, 2].
    expect(Array.from(codes.data)).toEqual([3.5, 1, 1, Number.NaN, 2, 2, -1, Number.NaN, Number.NaN]);
  });

  it('when missing is a category of its own, then a missing cell is still NaN and an unseen one counts that category too', () => {
    const codes = compiled('category').codes(request);
    // plan of [basic, plus, null]; seats of [1, 2, null].
    expect(Array.from(codes.data)).toEqual([3.5, 1, 1, Number.NaN, 3, 3, -1, Number.NaN, Number.NaN]);
  });

  it('when a present value one-hots to category k, then it codes to k', () => {
    const preprocessor = compiled('category');
    const codes = preprocessor.codes(request);
    const encoded = preprocessor.transform(request);
    const hot = (row: number, offset: number, count: number) =>
      Array.from({ length: count }, (_, k) => encoded.data[row * encoded.cols + offset + k]).indexOf(1);
    // Row 0 holds known values: plan "plus" and seats 2 (one-hot blocks after the 1 numeric column).
    expect([hot(0, 1, 3), hot(0, 4, 3)]).toEqual([codes.data[1], codes.data[2]]);
  });

  it('when a column fitted as numbers is given text, then coding names it', () => {
    const text: RawTable = {
      rows: 1,
      columns: [
        { name: 'tenure', kind: 'text', values: ['long'] },
        { name: 'plan', kind: 'text', values: ['basic'] },
        { name: 'seats', kind: 'number', values: Float64Array.from([1]) },
      ],
    };
    expect(() => compiled('most_frequent').codes(text)).toThrow(/column "tenure" must hold numbers/);
  });
});
