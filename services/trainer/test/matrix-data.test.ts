import { createHash } from 'node:crypto';
import { parseTuneRequest, type TuneRequestInput } from '@mlops/contracts';
import { customersCsv, makeClassification, parseNumericCsv, takeRows, takeValues, trainTestSplit } from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import {
  buildTrainingData,
  type CsvLoader,
  datasetDigest,
  type MatrixTrainingData,
  referenceProfileOf,
  type TrainingData,
  UnusableDataError,
} from '../src/domain/dataset.js';
import { holdoutOf } from '../src/domain/holdout.js';
import { headerProblems } from '../src/domain/table-data.js';

function requestOf(input: TuneRequestInput) {
  const parsed = parseTuneRequest(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.request;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A loader serving one CSV text, as the service's loader would (with the SHA-256 of its UTF-8 bytes). */
function serving(text: string): CsvLoader {
  return async (path) => ({ text, source: `file:///data/${path}`, sha256: sha256(text) });
}

/** The data as a matrix; a table fails the test. */
function matrixOf(data: TrainingData): MatrixTrainingData {
  if (data.kind !== 'matrix') throw new Error(`expected a matrix, got a ${data.kind}`);
  return data;
}

const noCsv: CsvLoader = async () => {
  throw new Error('the synthetic data set reads no CSV');
};

/** make_classification's rows as CSV text, every number written with String(x) (shortest round-trip form). */
function classificationCsv(nSamples: number, randomState: number): string {
  const { X, y } = makeClassification({ nSamples, randomState });
  const header = [...Array.from({ length: X.cols }, (_, j) => `x${j}`), 'y'].join(',');
  const rows = Array.from({ length: X.rows }, (_, i) =>
    [...Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols), String), String(y[i])].join(','),
  );
  return `${[header, ...rows].join('\n')}\n`;
}

const matrixCsv = (extra: Record<string, unknown> = {}) =>
  ({ kind: 'csv', path: 'retrain.csv', features: 'matrix', ...extra }) as const;

describe('a CSV with features "matrix"', () => {
  const text = classificationCsv(300, 7);
  const splits = [{}, { test_size: 0.3, random_state: 3, stratify: true }];

  for (const split of splits) {
    it(`when it holds make_classification's rows (split ${JSON.stringify(split)}), then it trains on exactly the synthetic matrices`, async () => {
      const fromCsv = matrixOf(await buildTrainingData(requestOf({ dataset: matrixCsv(), split }), serving(text)));
      const synthetic = matrixOf(
        await buildTrainingData(
          requestOf({ dataset: { kind: 'synthetic', n_samples: 300, random_state: 7 }, split }),
          noCsv,
        ),
      );
      expect(fromCsv.train).toEqual(synthetic.train);
      expect(fromCsv.test).toEqual(synthetic.test);
      expect(fromCsv.summary).toEqual({
        ...synthetic.summary,
        name: 'retrain.csv',
        source: 'file:///data/retrain.csv',
      });
      expect(fromCsv.summary.digest).toBe(datasetDigest(parseNumericCsv(text, 'y')));
    });
  }

  it('when its columns are in another order, then the features keep the file order and the target is found by name', async () => {
    const text = 'b,y,a\n1,0,10\n2,1,20\n3,0,30\n4,1,40\n5,0,50\n6,1,60\n7,0,70\n8,1,80\n9,0,90\n10,1,100\n';
    const request = requestOf({ dataset: matrixCsv(), split: { test_size: 2 } });
    const data = matrixOf(await buildTrainingData(request, serving(text)));
    expect(data.summary).toMatchObject({ feature_names: ['b', 'a'], target: 'y', n_train: 8, n_test: 2 });
    const rows = Array.from(data.train.X.data);
    expect(rows).toHaveLength(16);
    expect(rows.filter((_, k) => k % 2 === 1)).toEqual(rows.filter((_, k) => k % 2 === 0).map((b) => b * 10));
  });

  const header = 'x0,x1,y';
  const badFiles: [string, string, RegExp][] = [
    [
      'a text cell in a feature column',
      `${header}\n1,2,0\n3,abc,1\n5,6,0\n`,
      /retrain\.csv:3: column "x1" holds "abc"/,
    ],
    ['an empty cell in a feature column', `${header}\n1,2,0\n3,4,1\n,6,0\n`, /retrain\.csv:4: column "x0" holds ""/],
    ['an NA cell in a feature column', `${header}\n1,2,0\nNA,4,1\n5,6,0\n`, /retrain\.csv:3: column "x0" holds "NA"/],
    ['a row without a label', `${header}\n1,2,0\n3,4,\n5,6,1\n`, /retrain\.csv:3: column "y" holds ""/],
    ['a text label', `${header}\n1,2,no\n3,4,yes\n`, /retrain\.csv:2: column "y" holds "no", not a finite number/],
    ['a single class', `${header}\n1,2,1\n3,4,1\n5,6,1\n`, /target "y" holds a single class, 1/],
    ['three classes', `${header}\n1,2,0\n3,4,1\n5,6,2\n`, /target "y" holds 3 classes/],
    ['a column named twice', 'x0,x0,y\n1,2,0\n3,4,1\n', /retrain\.csv: column "x0" is named twice in the header/],
    ['no target column', 'x0,x1,label\n1,2,0\n3,4,1\n', /retrain\.csv: no column named "y"/],
    [
      '1001 feature columns',
      `${Array.from({ length: 1001 }, (_, j) => `x${j}`).join(',')},y\n${'1,'.repeat(1001)}0\n`,
      /retrain\.csv: 1001 feature columns, at most 1000/,
    ],
  ];
  for (const [label, file, message] of badFiles) {
    it(`when it has ${label}, then the data set is refused with a message naming it`, async () => {
      const built = buildTrainingData(requestOf({ dataset: matrixCsv() }), serving(file));
      await expect(built).rejects.toThrow(UnusableDataError);
      await expect(buildTrainingData(requestOf({ dataset: matrixCsv() }), serving(file))).rejects.toThrow(message);
    });
  }
});

describe('a CSV pinned by digest', () => {
  const text = classificationCsv(100, 1);
  const other = '0'.repeat(64);

  it('when the bytes hash to the pinned digest, then the data set is built (matrix or table)', async () => {
    const matrix = await buildTrainingData(requestOf({ dataset: matrixCsv({ digest: sha256(text) }) }), serving(text));
    expect(matrix.summary.n_train + matrix.summary.n_test).toBe(100);
    const table = customersCsv({ nSamples: 200 });
    const pinnedTable = { kind: 'csv', path: 'customers.csv', target: 'churned', digest: sha256(table) } as const;
    expect((await buildTrainingData(requestOf({ dataset: pinnedTable }), serving(table))).kind).toBe('table');
  });

  it('when the bytes hash differently, then the data set is refused naming the path and both digests', async () => {
    const built = buildTrainingData(requestOf({ dataset: matrixCsv({ digest: other }) }), serving(text));
    await expect(built).rejects.toThrow(UnusableDataError);
    await expect(built).rejects.toThrow(
      `dataset "retrain.csv": expected SHA-256 ${other}, the file's is ${sha256(text)} (it changed since it was pinned)`,
    );
    const table = { kind: 'csv', path: 'customers.csv', target: 'churned', digest: other } as const;
    await expect(buildTrainingData(requestOf({ dataset: table }), serving(text))).rejects.toThrow(
      /dataset "customers\.csv": expected SHA-256 0{64}/,
    );
  });
});

describe('headerProblems of a matrix CSV', () => {
  const names = (count: number) => [...Array.from({ length: count }, (_, j) => `x${j}`), 'y'];
  const spec = (features: 'table' | 'matrix') => ({ kind: 'csv', path: 'm.csv', target: 'y', features }) as const;

  it('when a matrix has up to 1000 features, then the header is fine; a table stops at 256 columns', () => {
    expect(headerProblems(names(1000), spec('matrix'))).toEqual([]);
    expect(headerProblems(names(1001), spec('matrix'))).toEqual([
      { path: 'dataset.path', message: '1002 columns, at most 1001' },
    ]);
    expect(headerProblems(names(300), spec('table'))).toEqual([
      { path: 'dataset.path', message: '301 columns, at most 256' },
    ]);
  });

  it('when a column is named with more characters than the events carry, then a table refuses it naming its start and the limit; a matrix takes it', () => {
    const long = `${'a'.repeat(32)}${'b'.repeat(268)}`;
    expect(headerProblems(['x0', long, 'y'], spec('table'))).toEqual([
      {
        path: 'dataset.path',
        message: `column "${'a'.repeat(32)}…" has a name of 300 characters, at most 256 in a table (its columns travel by name in the tuning's events): rename the column`,
      },
    ]);
    expect(headerProblems(['x0', 'c'.repeat(256), 'y'], spec('table'))).toEqual([]);
    expect(headerProblems(['x0', long, 'y'], spec('matrix'))).toEqual([]);
  });

  it('when a table has a column named __proto__, then the header is refused unless it is the target or excluded', () => {
    const header = ['x0', '__proto__', 'y'];
    expect(headerProblems(header, spec('table'))).toEqual([
      { path: 'dataset.path', message: expect.stringMatching(/column "__proto__" cannot be a feature/) },
    ]);
    expect(headerProblems(header, { ...spec('table'), columns: { exclude: ['__proto__'] } })).toEqual([]);
    expect(headerProblems(['x0', '__proto__'], { ...spec('table'), target: '__proto__' })).toEqual([]);
    expect(headerProblems(header, spec('matrix'))).toEqual([]);
  });

  it('when the header reads as one column holding semicolons, then the missing target says the file seems separated by ";" and how to say so', () => {
    const [problem] = headerProblems(['age;income;label'], spec('table'));
    expect(problem).toEqual({
      path: 'dataset.target',
      message:
        'no column named "y" (columns: age;income;label): the header reads as one column, so the file seems separated by ";"; say so with "delimiter": ";" (mlops tune --delimiter \';\')',
    });
    expect(headerProblems(['age\tlabel'], spec('table'))[0]?.message).toMatch(
      /seems separated by "\\t"; say so with "delimiter": "\\t" \(mlops tune --delimiter tab\)$/,
    );
    // A file said to be separated by semicolons whose header holds commas: the hint names the comma.
    const said = { ...spec('table'), delimiter: ';' } as const;
    expect(headerProblems(['age,label'], said)[0]?.message).toMatch(/seems separated by ","/);
    expect(headerProblems(['age', 'label'], spec('table'))[0]?.message).toBe(
      'no column named "y" (columns: age, label)',
    );
  });
});

describe('append_training: rows added to the training side only', () => {
  const dataset = { kind: 'synthetic', n_samples: 200, n_features: 5, random_state: 3 } as const;
  const appended = { kind: 'synthetic', n_samples: 100, n_features: 5, random_state: 9 } as const;
  const split = { test_size: 0.25, random_state: 1, stratify: true };
  const build = (extra: Omit<TuneRequestInput, 'dataset' | 'split'>, csv?: string) =>
    buildTrainingData(requestOf({ dataset, split, ...extra }), csv === undefined ? noCsv : serving(csv));

  it("when a synthetic data set gets synthetic rows appended, then train = the split's train rows then every appended row; test and holdout as without them", async () => {
    const data = matrixOf(await build({ append_training: appended }));
    const plain = matrixOf(await build({}));
    const own = makeClassification({ nSamples: 200, nFeatures: 5, randomState: 3 });
    const added = makeClassification({ nSamples: 100, nFeatures: 5, randomState: 9 });
    const { train } = trainTestSplit(200, { testSize: 0.25, randomState: 1, stratify: own.y });
    expect(Array.from(data.train.X.data)).toEqual([...takeRows(own.X, train).data, ...added.X.data]);
    expect(Array.from(data.train.y)).toEqual([...takeValues(own.y, train), ...added.y]);
    expect([data.train.X.rows, data.train.X.cols]).toEqual([250, 5]);
    expect(data.test).toEqual(plain.test);
    expect(holdoutOf(data)).toEqual(holdoutOf(plain));
    expect(referenceProfileOf(data)).toMatchObject({ rows: 250 });
  });

  it('when rows are appended, then the summary counts and names them and its digest hashes both parts', async () => {
    const data = matrixOf(await build({ append_training: appended }));
    const plain = matrixOf(await build({}));
    const added = makeClassification({ nSamples: 100, nFeatures: 5, randomState: 9 });
    const addedTable = { ...added, featureNames: ['x0', 'x1', 'x2', 'x3', 'x4'], targetName: 'y' };
    const { digest, appended: summaryOfAppended, ...rest } = data.summary;
    expect(summaryOfAppended).toEqual({
      name: 'make_classification_100x5_rs9',
      digest: datasetDigest(addedTable),
      source: expect.stringMatching(/^make_classification\(n_samples=100, n_features=5, .*random_state=9\)$/),
      rows: 100,
    });
    expect(rest).toEqual({ ...plain.summary, digest: undefined, n_train: 150 + 100 });
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
    expect(digest).not.toBe(plain.summary.digest);
    expect(plain.summary.appended).toBeUndefined();
  });

  it('when the appended rows are a pinned matrix CSV of the same numbers, then they train exactly as the synthetic ones', async () => {
    const csv = classificationCsv(100, 9);
    const wide = { kind: 'synthetic', n_samples: 200, random_state: 3 } as const;
    const pinned = requestOf({ dataset: wide, split, append_training: matrixCsv({ digest: sha256(csv) }) });
    const fromCsv = matrixOf(await buildTrainingData(pinned, serving(csv)));
    const generated = { kind: 'synthetic', n_samples: 100, random_state: 9 } as const;
    const synthetic = matrixOf(
      await buildTrainingData(requestOf({ dataset: wide, split, append_training: generated }), noCsv),
    );
    expect(fromCsv.train).toEqual(synthetic.train);
    expect(fromCsv.test).toEqual(synthetic.test);
    expect(fromCsv.summary).toEqual({
      ...synthetic.summary,
      appended: { ...synthetic.summary.appended, name: 'retrain.csv', source: 'file:///data/retrain.csv' },
    });
  });

  it("when the appended rows' features are not the dataset's, then the data set is refused naming both lists", async () => {
    const fewer = build({ append_training: { ...appended, n_features: 4 } });
    await expect(fewer).rejects.toThrow(UnusableDataError);
    await expect(fewer).rejects.toThrow(
      'append_training "make_classification_100x4_rs9": features 4 ("x0", "x1", "x2", …) are not the dataset\'s 5 ("x0", "x1", "x2", …); the same names in the same order are needed (feature 5 is none here, "x4" in the dataset)',
    );
    const renamed = 'x0,x1,b,x3,x4,y\n1,2,3,4,5,0\n6,7,8,9,10,1\n';
    await expect(build({ append_training: matrixCsv() }, renamed)).rejects.toThrow(
      'append_training "retrain.csv": features 5 ("x0", "x1", "b", …) are not the dataset\'s 5 ("x0", "x1", "x2", …); the same names in the same order are needed (feature 3 is "b" here, "x2" in the dataset)',
    );
  });

  it('when the appended labels are not the same two classes, then the data set is refused saying both', async () => {
    const other = 'x0,x1,x2,x3,x4,y\n1,2,3,4,5,1\n6,7,8,9,10,2\n';
    const shifted = build({ append_training: matrixCsv() }, other);
    await expect(shifted).rejects.toThrow(UnusableDataError);
    await expect(shifted).rejects.toThrow(
      'append_training "retrain.csv": its labels are [1,2], the dataset\'s [0,1]; the same two classes are needed',
    );
    const oneClass = { ...appended, weights: [1.0], flip_y: 0 };
    await expect(build({ append_training: oneClass })).rejects.toThrow(/its labels are \[0\], the dataset's \[0,1\]/);
  });

  it('when the appended CSV hashes differently from its pinned digest, then the data set is refused', async () => {
    const text = 'x0,x1,x2,x3,x4,y\n1,2,3,4,5,0\n6,7,8,9,10,1\n';
    const pinnedElse = build({ append_training: matrixCsv({ digest: '0'.repeat(64) }) }, text);
    await expect(pinnedElse).rejects.toThrow(UnusableDataError);
    await expect(pinnedElse).rejects.toThrow(
      `dataset "retrain.csv": expected SHA-256 ${'0'.repeat(64)}, the file's is ${sha256(text)} (it changed since it was pinned)`,
    );
    const data = await build({ append_training: matrixCsv({ digest: sha256(text) }) }, text);
    expect(data.summary).toMatchObject({ n_train: 152, appended: { name: 'retrain.csv', rows: 2 } });
  });
});
