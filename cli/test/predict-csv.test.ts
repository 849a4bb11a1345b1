import { readRawTable } from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import { delimiterHint, firstNonNumber } from '../src/commands/predict.js';

const columnsOf = (csv: string) => readRawTable(csv, { source: 'rows.csv' }).columns;

describe('a CSV sent to a model that takes numbers', () => {
  it('when a cell is empty, then the refusal names its data row and column', () => {
    expect(firstNonNumber(columnsOf('x0,x1\n1,2\n3,\n5,6\n'))).toBe('data row 2, column "x1" is empty');
  });

  it('when a cell holds text, then the refusal names its row, column and value; the first row with a problem wins', () => {
    expect(firstNonNumber(columnsOf('x0,x1\n1,2\n3,4\n5,"1,234"\nabc,7\n'))).toBe(
      'data row 3, column "x1" holds "1,234", not a number',
    );
  });

  it('when every cell is a number, then nothing is refused', () => {
    expect(firstNonNumber(columnsOf('x0,x1\n1,2\n-3.5,4e2\n'))).toBeUndefined();
  });

  it('when a cell is literally NaN, then the refusal says it holds NaN, not that it is empty', () => {
    const csv = 'x0,x1\n1,2\nNaN,4\n';
    const cell = (row: number, column: string) => (row === 1 && column === 'x0' ? 'NaN' : '1');
    expect(firstNonNumber(columnsOf(csv), cell)).toBe('data row 2, column "x0" holds NaN (not a number)');
  });
});

describe('a CSV read with another delimiter than it is written with', () => {
  const features = Array.from({ length: 20 }, (_, j) => `x${j}`);

  it("when the header read with ';' is one cell of comma-separated names, then the hint is --delimiter ','", () => {
    expect(delimiterHint([[...features, 'y'].join(',')], features, ';')).toBe(
      ": the file looks separated by ','; give --delimiter ','",
    );
  });

  it("when a semicolon file is read with the default ',', then the hint is --delimiter ';'", () => {
    expect(delimiterHint(['x0;x1;y'], ['x0', 'x1'], ',')).toBe(
      ": the file looks separated by ';'; give --delimiter ';'",
    );
  });

  it('when some feature is a column, or no delimiter would name one, then there is no hint', () => {
    expect(delimiterHint(['x0', 'z'], ['x0', 'x1'], ',')).toBe('');
    expect(delimiterHint(['a,b'], ['x0'], ';')).toBe('');
  });
});
