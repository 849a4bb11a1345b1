import type { ColumnSpec, RawTable } from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import { BadScoringRequest } from '../src/domain/scoring-rules.js';
import { inferId, requestedOutputs } from '../src/entry-points/wire/open-inference.js';
import { csvTable, inferTable, invocationsTable, predictTable } from '../src/entry-points/wire/table-request.js';

const COLUMNS: ColumnSpec[] = [
  { name: 'tenure', kind: 'number' },
  { name: 'plan', kind: 'text' },
];
const LIMITS = { maxRows: 100 };

function cells(table: RawTable) {
  return table.columns.map((c) => [
    c.name,
    Array.from(c.values as ArrayLike<unknown>, (v) => (Number.isNaN(v) ? null : v)),
  ]);
}

describe('raw columns in scoring requests (table models)', () => {
  it('when records, rows, a split frame, CSV and OIP tensors carry the same cells, then they build the same table', () => {
    const expected = [
      ['tenure', [3, null]],
      ['plan', ['basic', null]],
    ];
    const records = [
      { plan: 'basic', tenure: 3 },
      { plan: null, tenure: null },
    ];
    expect(cells(predictTable({ records }, COLUMNS, LIMITS))).toEqual(expected);
    expect(cells(invocationsTable({ instances: records }, COLUMNS, LIMITS))).toEqual(expected);
    expect(cells(invocationsTable({ inputs: records }, COLUMNS, LIMITS))).toEqual(expected);
    // Columnar, as MLflow reads a dict of lists (a column the model does not take is ignored).
    const columnar = { plan: ['basic', null], extra: [1, 2], tenure: [3, null] };
    expect(cells(invocationsTable({ inputs: columnar }, COLUMNS, LIMITS))).toEqual(expected);
    expect(cells(invocationsTable({ instances: columnar }, COLUMNS, LIMITS))).toEqual(expected);
    const split = {
      dataframe_split: {
        columns: ['plan', 'extra', 'tenure'],
        data: [
          ['basic', 1, 3],
          [null, 2, null],
        ],
      },
    };
    expect(cells(invocationsTable(split, COLUMNS, LIMITS))).toEqual(expected);
    expect(cells(invocationsTable({ dataframe_records: records }, COLUMNS, LIMITS))).toEqual(expected);
    expect(cells(csvTable('plan,tenure\nbasic,3\nNA,\n', COLUMNS, LIMITS))).toEqual(expected);
    const oip = {
      inputs: [
        { name: 'plan', datatype: 'BYTES', shape: [2], data: ['basic', null] },
        { name: 'tenure', datatype: 'FP64', shape: [2], data: [3, null] },
      ],
    };
    expect(cells(inferTable(oip, COLUMNS, LIMITS))).toEqual(expected);
    // A number column takes any numeric datatype, as the matrix route does (nulls stay missing).
    const int64 = { inputs: [oip.inputs[0], { ...oip.inputs[1], datatype: 'INT64' }] };
    expect(cells(inferTable(int64, COLUMNS, LIMITS))).toEqual(expected);
    // MLServer's pandas codec sends each column as [rows, 1], flat or nested by row.
    const columnShaped = {
      inputs: [
        { name: 'plan', datatype: 'BYTES', shape: [2, 1], data: ['basic', null] },
        { name: 'tenure', datatype: 'INT64', shape: [2, 1], data: [[3], [null]] },
      ],
    };
    expect(cells(inferTable(columnShaped, COLUMNS, LIMITS))).toEqual(expected);
    // Beside a data frame, other keys are ignored (MLflow does so too).
    expect(cells(invocationsTable({ dataframe_records: records, junk: 1 }, COLUMNS, LIMITS))).toEqual(expected);
  });

  const refusals: [string, () => unknown, RegExp][] = [
    [
      'a record lacks a column',
      () => predictTable({ records: [{ tenure: 3 }] }, COLUMNS, LIMITS),
      /records\[0\] lacks column "plan"/,
    ],
    [
      'text in a number column',
      () => predictTable({ records: [{ tenure: 'long', plan: 'basic' }] }, COLUMNS, LIMITS),
      /column "tenure" takes a number or null, got "long"/,
    ],
    [
      'a number beyond a float64 (1e999 parses as Infinity)',
      () => predictTable({ records: [{ tenure: Number.POSITIVE_INFINITY, plan: 'basic' }] }, COLUMNS, LIMITS),
      /column "tenure" takes a number or null, got Infinity$/,
    ],
    [
      'a number in a text column',
      () => predictTable({ records: [{ tenure: 3, plan: 7 }] }, COLUMNS, LIMITS),
      /column "plan" takes text or null, got 7/,
    ],
    [
      'an OIP tensor whose shape says more rows than its data holds',
      () =>
        inferTable(
          {
            inputs: [
              { name: 'tenure', datatype: 'FP64', shape: [5], data: [3] },
              { name: 'plan', datatype: 'BYTES', shape: [1], data: ['basic'] },
            ],
          },
          COLUMNS,
          LIMITS,
        ),
      /inputs "tenure": shape must be \[rows\] or \[rows, 1\], here \[1\] for its 1 values, got \[5\]/,
    ],
    [
      'two OIP tensors of one name',
      () =>
        inferTable(
          {
            inputs: [
              { name: 'tenure', datatype: 'FP64', shape: [1], data: [3] },
              { name: 'tenure', datatype: 'FP64', shape: [1], data: [4] },
              { name: 'plan', datatype: 'BYTES', shape: [1], data: ['basic'] },
            ],
          },
          COLUMNS,
          LIMITS,
        ),
      /inputs names "tenure" more than once/,
    ],
    [
      'an OIP cell of the wrong type (named by its tensor and row)',
      () =>
        inferTable(
          {
            inputs: [
              { name: 'tenure', datatype: 'FP64', shape: [2], data: [3, 4] },
              { name: 'plan', datatype: 'BYTES', shape: [2], data: ['basic', 7] },
            ],
          },
          COLUMNS,
          LIMITS,
        ),
      /^inputs "plan"\.data\[1\]: column "plan" takes text or null, got 7$/,
    ],
    [
      'instances beside another key (MLflow refuses it too)',
      () => invocationsTable({ instances: [{ tenure: 3, plan: 'a' }], junk: 1 }, COLUMNS, LIMITS),
      /instances comes alone \(with "params" at most\), as in MLflow; got "junk" beside it/,
    ],
    [
      'an OIP INT64 tensor holding a fraction',
      () =>
        inferTable(
          {
            inputs: [
              { name: 'tenure', datatype: 'INT64', shape: [1], data: [3.5] },
              { name: 'plan', datatype: 'BYTES', shape: [1], data: ['basic'] },
            ],
          },
          COLUMNS,
          LIMITS,
        ),
      /inputs "tenure"\.data\[0\] is 3\.5: INT64 values are integers/,
    ],
    [
      'an OIP number column sent as BYTES',
      () =>
        inferTable(
          {
            inputs: [
              { name: 'tenure', datatype: 'BYTES', shape: [1], data: ['3'] },
              { name: 'plan', datatype: 'BYTES', shape: [1], data: ['basic'] },
            ],
          },
          COLUMNS,
          LIMITS,
        ),
      /inputs "tenure": datatype must be a numeric datatype/,
    ],
    [
      'an object of columns lacks a column',
      () => invocationsTable({ inputs: { tenure: [3] } }, COLUMNS, LIMITS),
      /inputs lacks column "plan": as an object it holds one array per column \(tenure, plan\)/,
    ],
    [
      'an object of columns holds a bare value',
      () => invocationsTable({ inputs: { tenure: 3, plan: ['basic'] } }, COLUMNS, LIMITS),
      /inputs.tenure must be an array, one value per row/,
    ],
    [
      'an object of columns of different lengths',
      () => invocationsTable({ instances: { tenure: [3, 4], plan: ['basic'] } }, COLUMNS, LIMITS),
      /instances.plan has 1 values, other columns have 2/,
    ],
    [
      'an object of columns with an extra column of another length',
      () => invocationsTable({ inputs: { tenure: [3, 4], plan: ['a', 'b'], extra: [1] } }, COLUMNS, LIMITS),
      /inputs.extra has 1 values, other columns have 2/,
    ],
    [
      'an object of columns with text in a number column',
      () => invocationsTable({ inputs: { tenure: [3, 'long'], plan: ['basic', 'pro'] } }, COLUMNS, LIMITS),
      /inputs\[1\].*column "tenure" takes a number or null, got "long"/,
    ],
    [
      'an object of columns with more rows than the limit',
      () =>
        invocationsTable(
          { inputs: { tenure: new Array(101).fill(1), plan: new Array(101).fill('a') } },
          COLUMNS,
          LIMITS,
        ),
      /inputs.*100/,
    ],
    [
      'a split frame row of the wrong width',
      () => invocationsTable({ dataframe_split: { columns: ['tenure', 'plan'], data: [[3]] } }, COLUMNS, LIMITS),
      /dataframe_split.data rows must have 2 values, one per column/,
    ],
    [
      'a CSV header without a column',
      () => csvTable('plan\nbasic\n', COLUMNS, LIMITS),
      /CSV header lacks column "tenure"/,
    ],
    [
      'a hexadecimal number in a CSV number column (pandas reads decimals only)',
      () => csvTable('plan,tenure\nbasic,3\nbasic,0x10\n', COLUMNS, LIMITS),
      /CSV line 3: column "tenure" takes a number, got "0x10"/,
    ],
    [
      'a binary number in a CSV number column',
      () => csvTable('plan,tenure\nbasic,0b10000\n', COLUMNS, LIMITS),
      /CSV line 2: column "tenure" takes a number, got "0b10000"/,
    ],
    [
      'text in a CSV number column',
      () => csvTable('plan,tenure\nbasic,abc\n', COLUMNS, LIMITS),
      /CSV line 2: column "tenure" takes a number, got "abc"/,
    ],
    [
      'an OIP column of another length',
      () =>
        inferTable(
          {
            inputs: [
              { name: 'plan', datatype: 'BYTES', shape: [1], data: ['a'] },
              { name: 'tenure', datatype: 'FP64', shape: [2], data: [1, 2] },
            ],
          },
          COLUMNS,
          LIMITS,
        ),
      /inputs "plan" has 1 values, other columns have 2/,
    ],
    [
      'an OIP text column sent as numbers',
      () =>
        inferTable(
          {
            inputs: [
              { name: 'plan', datatype: 'FP64', shape: [1], data: [1] },
              { name: 'tenure', datatype: 'FP64', shape: [1], data: [1] },
            ],
          },
          COLUMNS,
          LIMITS,
        ),
      /inputs "plan": datatype must be BYTES/,
    ],
    [
      'too many rows',
      () => predictTable({ records: Array(101).fill({ tenure: 1, plan: 'a' }) }, COLUMNS, LIMITS),
      /at most 100/,
    ],
  ];
  for (const [label, call, message] of refusals) {
    it(`when ${label}, then the request is refused naming it`, () => {
      expect(call).toThrow(BadScoringRequest);
      expect(call).toThrow(message);
    });
  }
});

describe('positional rows for table models (columns are read by name only)', () => {
  // t_order.csv's columns are a, k, b; k (an integer 0–4) is inferred categorical, so the model's order is a, b, k.
  const ORDERED: ColumnSpec[] = [
    { name: 'a', kind: 'number' },
    { name: 'b', kind: 'number' },
    { name: 'k', kind: 'number' },
  ];
  const FILE_ROW = [0.5, 4, -1.0];
  const COLUMNS_IN_ORDER = /columns, in order: a, b, k\b/;

  const RECORDS = (field: string) => new RegExp(`records \\(\\{"${field}": \\[\\{"a": …, "b": …, "k": …\\}\\]\\}`);
  const SPLIT = /\{"dataframe_split": \{"columns": \["a", "b", "k"\], "data": \[\[…\]\]\}\}\), or text\/csv/;
  const positional: [string, () => unknown, ...RegExp[]][] = [
    [
      '/predict gets features as rows',
      () => predictTable({ features: [FILE_ROW] }, ORDERED, LIMITS),
      /send \{"records": \[\{"a": …, "b": …, "k": …\}\]\}/,
    ],
    [
      '/predict gets one flat row of features',
      () => predictTable({ features: FILE_ROW }, ORDERED, LIMITS),
      /send \{"records": \[/,
    ],
    [
      '/invocations gets instances as lists',
      () => invocationsTable({ instances: [FILE_ROW] }, ORDERED, LIMITS),
      RECORDS('instances'),
      SPLIT,
    ],
    [
      '/invocations gets inputs as lists',
      () => invocationsTable({ inputs: [FILE_ROW] }, ORDERED, LIMITS),
      RECORDS('inputs'),
      SPLIT,
    ],
    [
      '/invocations gets inputs as lists (the message shows the columnar form too)',
      () => invocationsTable({ inputs: [FILE_ROW] }, ORDERED, LIMITS),
      /an object of columns \(\{"inputs": \{"a": \[…\], "b": \[…\], …\}\}, one array per column\)/,
    ],
    [
      '/invocations gets one flat row in instances',
      () => invocationsTable({ instances: FILE_ROW }, ORDERED, LIMITS),
      RECORDS('instances'),
    ],
    [
      '/invocations gets records then a list in instances',
      () => invocationsTable({ instances: [{ a: 0.5, b: -1, k: 4 }, FILE_ROW] }, ORDERED, LIMITS),
      RECORDS('instances'),
    ],
    [
      '/invocations gets dataframe_split without columns',
      () => invocationsTable({ dataframe_split: { data: [FILE_ROW] } }, ORDERED, LIMITS),
      RECORDS('dataframe_records'),
      SPLIT,
    ],
  ];
  for (const [label, call, ...byName] of positional) {
    it(`when ${label}, then it is refused naming the columns in order and how to send them by name`, () => {
      expect(call).toThrow(BadScoringRequest);
      expect(call).toThrow(COLUMNS_IN_ORDER);
      expect(call).toThrow(/by name, not by position/);
      for (const form of byName) expect(call).toThrow(form);
    });
  }

  it('when the same row is sent by name (records, instances records, split frame in file order, CSV header), then every form reads k as k', () => {
    const expected = [
      ['a', [0.5]],
      ['b', [-1]],
      ['k', [4]],
    ];
    const record = { a: 0.5, k: 4, b: -1.0 };
    expect(cells(predictTable({ records: [record] }, ORDERED, LIMITS))).toEqual(expected);
    expect(cells(invocationsTable({ instances: [record] }, ORDERED, LIMITS))).toEqual(expected);
    const split = { dataframe_split: { columns: ['a', 'k', 'b'], data: [FILE_ROW] } };
    expect(cells(invocationsTable(split, ORDERED, LIMITS))).toEqual(expected);
    expect(cells(csvTable('a,k,b\n0.5,4,-1.0\n', ORDERED, LIMITS))).toEqual(expected);
  });

  it('when a CSV body has no header line, then it is refused naming the columns the first line must name', () => {
    // One row without a header: refused for the header, not as an empty batch (the row taken for a header).
    const call = () => csvTable('0.5,4,-1.0\n', ORDERED, LIMITS);
    expect(call).toThrow(BadScoringRequest);
    expect(call).toThrow(/CSV header lacks column "a": the first line must name the columns \(a, b, k, in any order\)/);
  });

  it('when a CSV body is empty or blank lines only, then it is refused as empty, not for a missing column', () => {
    for (const body of ['', '\n\n', '  \r\n'])
      expect(() => csvTable(body, ORDERED, LIMITS), JSON.stringify(body)).toThrow(
        'the CSV body is empty: send a header row naming the columns, then one row per sample',
      );
  });

  it('when an OIP request sends one matrix tensor instead of a tensor per column, then the refusal names every column', () => {
    const tensor = { name: 'input', datatype: 'FP64', shape: [1, 3], data: FILE_ROW };
    const call = () => inferTable({ inputs: [tensor] }, ORDERED, LIMITS);
    expect(call).toThrow(BadScoringRequest);
    expect(call).toThrow(/inputs lacks column "a": .*one tensor per column, named a, b, k/);
  });
});

describe('Open Inference request fields beside the tensors', () => {
  it('when outputs are named, then those are answered in the model order; an unknown one or a non-string id is a 400', () => {
    expect(requestedOutputs({})).toBeUndefined();
    expect(requestedOutputs({ outputs: [] })).toBeUndefined();
    expect(requestedOutputs({ outputs: [{ name: 'label' }, { name: 'probability' }] })).toEqual([
      'probability',
      'label',
    ]);
    expect(() => requestedOutputs({ outputs: [{ name: 'nope' }] })).toThrow(
      /outputs\[0\]\.name "nope": this model's outputs are probability, label, prediction_id/,
    );
    expect(() => requestedOutputs({ outputs: 'label' })).toThrow(BadScoringRequest);
    expect(inferId({ id: 'req-1' })).toBe('req-1');
    expect(inferId({})).toBeUndefined();
    expect(() => inferId({ id: 5 })).toThrow(/id must be a string, got 5/);
  });
});
