import type { ColumnSpec, RawTable } from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import { BadScoringRequest } from '../src/domain/scoring-rules.js';
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
    expect(
      cells(
        predictTable(
          {
            features: [
              [3, 'basic'],
              [null, null],
            ],
          },
          COLUMNS,
          LIMITS,
        ),
      ),
    ).toEqual(expected);
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
      () => predictTable({ features: [[3, 7]] }, COLUMNS, LIMITS),
      /column "plan" takes text or null, got 7/,
    ],
    [
      'a row of the wrong width',
      () => predictTable({ features: [[3]] }, COLUMNS, LIMITS),
      /features\[0\] has 1 values, the model takes 2 columns/,
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
              { name: 'plan', datatype: 'BYTES', data: ['a'] },
              { name: 'tenure', datatype: 'FP64', data: [1, 2] },
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
              { name: 'plan', datatype: 'FP64', data: [1] },
              { name: 'tenure', datatype: 'FP64', data: [1] },
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
