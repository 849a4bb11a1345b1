import { readRawTable } from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import { firstNonNumber } from '../src/commands/predict.js';

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
});
