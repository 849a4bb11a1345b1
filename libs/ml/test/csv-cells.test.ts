import { describe, expect, it } from 'vitest';
import { inferColumnRoles } from '../src/preprocessing/column-roles.js';
import { fitPreprocessor } from '../src/preprocessing/column-transformer.js';
import { readRawTable } from '../src/preprocessing/csv-table.js';
import type { RawColumn } from '../src/preprocessing/raw-table.js';

/**
 * How pandas.read_csv (default options) reads one cell, measured with pandas 2.3.3 by
 * libs/ml/test/support/pandas-csv-cells.py: `text` is the cell below "no" (null: missing); `number` is the cell below
 * "2.5" (a number or null for NaN: the column stays float64; a string: the column is object, holding that text).
 */
const PANDAS_CELLS: readonly { cell: string; text: string | null; number: number | string | null }[] = [
  { cell: ' yes', text: ' yes', number: ' yes' },
  { cell: 'yes ', text: 'yes ', number: 'yes ' },
  { cell: ' ', text: ' ', number: ' ' },
  { cell: '  ', text: '  ', number: '  ' },
  { cell: '\t', text: '\t', number: '\t' },
  { cell: '', text: null, number: null },
  { cell: ' 1.5', text: ' 1.5', number: 1.5 },
  { cell: '1.5 ', text: '1.5 ', number: 1.5 },
  { cell: '\t1.5', text: '\t1.5', number: 1.5 },
  { cell: '\u00a01.5', text: '\u00a01.5', number: '\u00a01.5' },
  { cell: ' NA', text: ' NA', number: ' NA' },
  { cell: 'NA ', text: 'NA ', number: 'NA ' },
  { cell: 'NA', text: null, number: null },
  { cell: 'nan', text: null, number: null },
  { cell: ' nan', text: ' nan', number: ' nan' },
  { cell: ' inf', text: ' inf', number: ' inf' },
];

/** The same script, with sep=";" and decimal=",": the cell below "2,5". */
const PANDAS_COMMA_CELLS: readonly { cell: string; number: number | string }[] = [
  { cell: ' 1,5', number: 1.5 },
  { cell: '1,5 ', number: 1.5 },
  { cell: ' 1.5', number: ' 1.5' },
];

/** The column pandas gives for `first` then a cell it reads as `value` (see PANDAS_CELLS). */
function pandasColumn(first: string, value: number | string | null): RawColumn {
  if (typeof value === 'string') return { name: 't', kind: 'text', values: [first, value] };
  return {
    name: 't',
    kind: 'number',
    values: Float64Array.from([Number(first.replace(',', '.')), value ?? Number.NaN]),
  };
}

describe('readRawTable reads cells as pandas.read_csv does', () => {
  it.each(PANDAS_CELLS)('when the cell $cell is in a text column, then it reads as $text', ({ cell, text }) => {
    expect(readRawTable(`t,k\nno,1\n${cell},1\n`).columns[0]).toEqual({
      name: 't',
      kind: 'text',
      values: ['no', text],
    });
  });

  it.each(PANDAS_CELLS)('when the cell $cell is below a number, then it reads as $number', ({ cell, number }) => {
    expect(readRawTable(`t,k\n2.5,1\n${cell},1\n`).columns[0]).toEqual(pandasColumn('2.5', number));
  });

  it.each(PANDAS_COMMA_CELLS)('when the cell $cell is below a number with decimal commas, then it reads as $number', ({
    cell,
    number,
  }) => {
    const table = readRawTable(`t;k\n2,5;1\n${cell};1\n`, { delimiter: ';', decimal: ',' });
    expect(table.columns[0]).toEqual(pandasColumn('2,5', number));
  });
});

describe('inferColumnRoles and the preprocessing on cells with spaces', () => {
  it('when " yes", "yes" and " " are in one column, then they are three categories and " " is no missing cell, as pandas and OneHotEncoder have them', () => {
    // pandas 2.3.3 + scikit-learn 1.8.0: OneHotEncoder().fit(df[["plan"]]).categories_ == [" ", " yes", "no", "yes", nan].
    const table = readRawTable('plan,tenure,y\nyes,1,0\n yes,2,1\n ,3,0\nno,4,1\nyes,5,0\nNA,6,1\n');
    const roles = inferColumnRoles(table, 'y');
    const fitted = fitPreprocessor(table, roles, {
      numericImpute: 'median',
      scale: false,
      categoricalMissing: 'category',
    });
    expect(roles.categorical).toEqual(['plan']);
    expect(fitted.categorical[0]?.categories).toEqual([' ', ' yes', 'no', 'yes', null]);
  });

  it('when a column holds only blank cells (" "), then it is one text category, not a column without values', () => {
    // pandas 2.3.3: read_csv("blank,x,y\n ,1,0\n ,2,1\n")["blank"] is object [" ", " "].
    const table = readRawTable('blank,x,y\n ,1,0\n ,2,1\n ,3,0\n');
    expect(table.columns[0]).toEqual({ name: 'blank', kind: 'text', values: [' ', ' ', ' '] });
    expect(inferColumnRoles(table, 'y').categorical).toEqual(['blank']);
  });
});
