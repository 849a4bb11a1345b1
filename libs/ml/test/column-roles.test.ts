import { describe, expect, it } from 'vitest';
import { inferColumnRoles } from '../src/preprocessing/column-roles.js';
import { readRawTable } from '../src/preprocessing/csv-table.js';

/** A customer table with the columns a churn export has: ids, categories, counts, money, a row number. */
function customerCsv(rows = 40): string {
  const plans = ['basic', 'plus', 'pro'];
  const lines = ['row,customer_id,account_id,plan,dependents,senior,tenure,charges,notes,churned'];
  for (let i = 0; i < rows; i++) {
    const plan = i % 7 === 0 ? '' : plans[i % 3];
    const charges = i % 5 === 0 ? 'NA' : (20 + ((i * 37) % 100) + 0.25).toFixed(2);
    const churned = i % 11 === 0 ? '' : i % 2 === 0 ? 'yes' : 'no';
    lines.push(
      `${i},C${String(i).padStart(5, '0')},${1000 + i * 3},${plan},${i % 5},${i % 2},${1 + ((i * 13) % 72)},${charges},,${churned}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('readRawTable', () => {
  it('when cells are numbers, text or missing (pandas na_values), then columns are typed as pandas.read_csv types them', () => {
    const table = readRawTable('a,b,c\n1, x ,NA\n2.5e1,,null\n-3,y,N/A\n');
    expect(table.rows).toBe(3);
    const [a, b, c] = table.columns;
    expect(a).toEqual({ name: 'a', kind: 'number', values: Float64Array.from([1, 25, -3]) });
    // pandas 2.3.3 keeps the spaces of text (skipinitialspace=False): [" x ", nan, "y"].
    expect(b).toEqual({ name: 'b', kind: 'text', values: [' x ', null, 'y'] });
    expect(c?.kind).toBe('number');
    expect(Array.from(c?.values ?? [], Number.isNaN)).toEqual([true, true, true]);
  });

  it('when a column is named as text, then its number-like cells are kept as written ("0101"), missing ones null', () => {
    const table = readRawTable('store,n\n0101,1\n,2\n7,3\n', { textColumns: ['store'] });
    expect(table.columns[0]).toEqual({ name: 'store', kind: 'text', values: ['0101', null, '7'] });
    expect(table.columns[1]?.kind).toBe('number');
    expect(readRawTable('store,n\n0101,1\n').columns[0]?.kind).toBe('number');
  });

  it('when a number is too large for a float64, then the error names the line and the column', () => {
    expect(() => readRawTable('a,y\n1,0\n1e400,1\n', { source: 'c.csv' })).toThrow(
      'c.csv:3: column "a" holds "1e400", too large for a float64',
    );
  });

  it('when a number column holds infinity (read as a float by pandas), then the error names the line and the column', () => {
    for (const cell of ['inf', '-Infinity', '+INF'])
      expect(() => readRawTable(`a,y\n1,0\n${cell},1\n`, { source: 'c.csv' })).toThrow(
        `c.csv:3: column "a" holds "${cell}": an infinite value is not a usable number`,
      );
    expect(readRawTable('a,y\n1,0\ninfinite,1\n').columns[0]?.kind).toBe('text');
  });

  it('when a file is separated by semicolons with decimal commas, then it is typed as pandas.read_csv(sep=";", decimal=",") types it', () => {
    // pandas: a float64, an object column ("1.5" is no number with a decimal comma), a float64 in exponent form.
    const text = 'a;b;c;d\n1,5;1.5;x,y;1e3\n2,25;2;3;-1,5e2\n';
    const table = readRawTable(text, { delimiter: ';', decimal: ',' });
    const [a, b, c, d] = table.columns;
    expect(a).toEqual({ name: 'a', kind: 'number', values: Float64Array.from([1.5, 2.25]) });
    expect(b).toEqual({ name: 'b', kind: 'text', values: ['1.5', '2'] });
    expect(c).toEqual({ name: 'c', kind: 'text', values: ['x,y', '3'] });
    expect(d).toEqual({ name: 'd', kind: 'number', values: Float64Array.from([1000, -150]) });
    // The same file read with a decimal point: the comma cells are text, as pandas' default reads them.
    expect(readRawTable(text, { delimiter: ';' }).columns.map((col) => col.kind)).toEqual([
      'text',
      'number',
      'text',
      'text',
    ]);
    const tabs = readRawTable('a\tb\n1\t 2,5 \n', { delimiter: '\t', decimal: ',' });
    expect(tabs.columns[1]).toEqual({ name: 'b', kind: 'number', values: Float64Array.from([2.5]) });
  });

  it('when a header names a column twice or leaves one unnamed, then the error names it', () => {
    expect(() => readRawTable('a,b,a\n1,2,3\n', { source: 'c.csv' })).toThrow(
      'c.csv: column "a" is named twice in the header',
    );
    expect(() => readRawTable('a,,c\n1,2,3\n', { source: 'c.csv' })).toThrow(
      'c.csv: column 2 of the header has no name',
    );
  });

  it('when the CSV has 300 columns, then it is refused with the limit', () => {
    const header = Array.from({ length: 300 }, (_, j) => `c${j}`).join(',');
    expect(() => readRawTable(`${header}\n${'1,'.repeat(299)}1\n`, { source: 'wide.csv' })).toThrow(
      'wide.csv: 300 columns, at most 256',
    );
  });

  it('when a row has the wrong number of cells or there is no data row, then the error names the line', () => {
    expect(() => readRawTable('a,b\n1,2\n3\n', { source: 'c.csv' })).toThrow('c.csv:3: 1 cells, the header has 2');
    expect(() => readRawTable('a,b\n', { source: 'c.csv' })).toThrow('c.csv: no data rows after the header');
  });
});

describe('inferColumnRoles', () => {
  const table = readRawTable(customerCsv());

  it('when a customer table is read, then ids and row numbers are excluded, text and small integer sets are categorical', () => {
    const roles = inferColumnRoles(table, 'churned', { exclude: ['notes'] });
    expect(roles.numeric).toEqual(['senior', 'tenure', 'charges']);
    expect(roles.categorical).toEqual(['plan', 'dependents']);
    expect(roles.excluded.map((e) => e.name)).toEqual(['row', 'customer_id', 'account_id', 'notes']);
    expect(roles.excluded[1]?.reason).toMatch(/identifier/);
  });

  it('when distinct integers are named like an id, then they are excluded; a name that only ends in "id" is not', () => {
    const distinct = Array.from({ length: 12 }, (_, i) => `${i * 7 + 3},${i * 11 + 5},${i * 13 + 1},${i % 2}`);
    const roles = inferColumnRoles(readRawTable(`customerId,paid,Account ID,y\n${distinct.join('\n')}\n`), 'y');
    expect(roles.excluded.map((e) => e.name)).toEqual(['customerId', 'Account ID']);
    expect(roles.numeric).toEqual(['paid']);
  });

  it('when distinct text values are numbers with thousands separators, then the exclusion says so and how to use them', () => {
    const rows = Array.from(
      { length: 6 },
      (_, i) => `"${i + 1},${String(100 + i * 37).padStart(3, '0')}.5",c${i},${i * 0.5},${i % 2}`,
    );
    const roles = inferColumnRoles(readRawTable(`Total Spend,code,x,y\n${rows.join('\n')}\n`), 'y');
    expect(roles.excluded).toEqual([
      {
        name: 'Total Spend',
        reason:
          'every value differs: an identifier (its values look like numbers with thousands separators, such as "1,100.5", which read as text: write them without separators to use them as numbers)',
      },
      { name: 'code', reason: 'every value differs: an identifier' },
    ]);
  });

  it('when overrides move columns, then they win over what was inferred', () => {
    const roles = inferColumnRoles(table, 'churned', {
      exclude: ['notes', 'charges'],
      categorical: ['senior'],
      numeric: ['dependents'],
    });
    expect(roles.numeric).toEqual(['dependents', 'tenure']);
    expect(roles.categorical).toEqual(['plan', 'senior']);
  });

  it('when a column has no value in any row, then it is refused by name unless excluded', () => {
    expect(() => inferColumnRoles(table, 'churned')).toThrow(
      'column "notes" has no value in any row: exclude it or fill it',
    );
  });

  it('when overrides name an unknown column, the target, one column twice, or text as numeric, then each is refused by name', () => {
    const withNotes = { exclude: ['notes'] };
    expect(() => inferColumnRoles(table, 'churned', { ...withNotes, categorical: ['plann'] })).toThrow(
      /columns\.categorical: "plann" is not a column \(columns: row, customer_id/,
    );
    expect(() => inferColumnRoles(table, 'churned', { ...withNotes, numeric: ['churned'] })).toThrow(
      'columns.numeric: "churned" is the target',
    );
    expect(() =>
      inferColumnRoles(table, 'churned', { ...withNotes, categorical: ['tenure'], numeric: ['tenure'] }),
    ).toThrow('columns.numeric: "tenure" is given more than one role');
    expect(() => inferColumnRoles(table, 'churned', { ...withNotes, numeric: ['plan'] })).toThrow(
      'columns.numeric: "plan" holds text ("plus" in data row 2), not numbers',
    );
    const typo = readRawTable('a,b,y\n1.5,x,0\n2,y,1\n89,40,z,0\n'.replace('89,40', '"89,40"'));
    expect(() => inferColumnRoles(typo, 'y', { numeric: ['a'] })).toThrow(
      'columns.numeric: "a" holds text ("89,40" in data row 3), not numbers',
    );
    // With a decimal comma the cell that is no number is the one with a point.
    const pointed = readRawTable('a;y\n1,5;0\n2.5;1\n', { delimiter: ';', decimal: ',' });
    expect(() => inferColumnRoles(pointed, 'y', { numeric: ['a'] }, ',')).toThrow(
      'columns.numeric: "a" holds text ("2.5" in data row 2), not numbers',
    );
  });

  it('when the target is missing or every feature is excluded, then the error says so', () => {
    expect(() => inferColumnRoles(table, 'label')).toThrow(/no column named "label" \(columns: row, customer_id/);
    const tiny = readRawTable('id,y\nA,1\nB,0\n');
    expect(() => inferColumnRoles(tiny, 'y')).toThrow(
      'no feature column is left besides the target "y" (excluded: id)',
    );
  });
});
