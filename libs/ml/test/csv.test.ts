import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../src/errors.js';
import { formatDatasetCsv, parseNumericCsv } from '../src/io/csv.js';

/** The splitter parseNumericCsv used before RFC 4180 (no quoted commas): plain numeric text must parse the same. */
function splitterBefore(text: string, target: string) {
  const cells = (line: string) => line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  const [head = '', ...rest] = text.split(/\r?\n/);
  const header = cells(head);
  const t = header.indexOf(target);
  const rows = rest.filter((line) => line.trim() !== '').map(cells);
  const value = (cell: string) => (cell === '' ? Number.NaN : Number(cell));
  return {
    featureNames: header.filter((_, j) => j !== t),
    X: rows.flatMap((row) => row.filter((_, j) => j !== t).map(value)),
    y: rows.map((row) => value(row[t] as string)),
  };
}

const asPlain = (table: ReturnType<typeof parseNumericCsv>) => ({
  featureNames: table.featureNames,
  X: Array.from(table.X.data),
  y: Array.from(table.y),
});

describe('parseNumericCsv', () => {
  it('when the file is separated by semicolons with decimal commas, then it is read so; a point is then no number', () => {
    const text = 'a;b;y\n1,5;-2e-1;0\n3;0,25;1\n';
    expect(asPlain(parseNumericCsv(text, 'y', 'eu.csv', { delimiter: ';', decimal: ',' }))).toEqual({
      featureNames: ['a', 'b'],
      X: [1.5, -0.2, 3, 0.25],
      y: [0, 1],
    });
    expect(() => parseNumericCsv('a;y\n1.5;0\n', 'y', 'eu.csv', { delimiter: ';', decimal: ',' })).toThrow(
      'eu.csv:2: column "a" holds "1.5", not a finite number with a decimal comma',
    );
    expect(asPlain(parseNumericCsv('a|y\n1.5|0\n', 'y', 'p.csv', { delimiter: '|' })).X).toEqual([1.5]);
  });

  it('when cells and names are quoted, hold commas or sit among blank lines, then the table is read', () => {
    const text = '\ufeff"a,1", b ,y\r\n\r\n"1.5",-2,0\n  \n3," 4e-1 ",1';
    expect(asPlain(parseNumericCsv(text, 'y'))).toEqual({
      featureNames: ['a,1', 'b'],
      X: [1.5, -2, 3, 0.4],
      y: [0, 1],
    });
  });

  it.each([
    [
      'a cell that is not a number',
      'a,b,y\n1,2,0\n\n3,oops,1\n',
      /^d\.csv:4: column "b" holds "oops", not a finite number$/,
    ],
    ['an empty cell', 'a,b,y\n1,,0\n', /^d\.csv:2: column "b" holds "", not a finite number$/],
    ['a row of the wrong width', 'a,b,y\n" 1\n",2,0\n3,4\n', /^d\.csv:4: 2 cells, the header has 3$/],
    [
      'an unclosed quote',
      'a,b,y\n1,2,0\n3,"4,1\n',
      /^d\.csv:3: column 2: the quoted cell that starts here is never closed/,
    ],
    ['a stray quote', 'a,b,y\n1,2"5,0\n', /^d\.csv:2: column 2: a quote inside an unquoted cell/],
    ['no header', '\n \n', /^d\.csv: empty file, expected a header row$/],
    ['no target column', 'a,b\n1,2\n', /^d\.csv: no column named "y" \(columns: a, b\)$/],
    ['no data rows', 'a,y\n', /^d\.csv: no data rows after the header$/],
  ])('when the text has %s, then an InvalidDataError names the place', (_what, text, message) => {
    expect(() => parseNumericCsv(text, 'y', 'd.csv')).toThrow(InvalidDataError);
    expect(() => parseNumericCsv(text, 'y', 'd.csv')).toThrow(message);
  });

  it('when formatDatasetCsv wrote the table, then it reads back exactly', () => {
    const X = { rows: 2, cols: 2, data: Float64Array.from([0.1, -1e-300, 5e300, 1 / 3]) };
    expect(asPlain(parseNumericCsv(formatDatasetCsv(X, [0, 1]), 'y'))).toEqual({
      featureNames: ['x0', 'x1'],
      X: Array.from(X.data),
      y: [0, 1],
    });
  });

  it('when numeric text is plain or fully quoted, then numbers are exactly what the splitter before read', () => {
    const number = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.integer().map(String),
      fc.constantFrom('1e3', '-0', '.5', '5.', '0x10', '0b11', '+7', ' 2 ', '\t3', '1E-2', '00012'),
    );
    const table = fc
      .integer({ min: 1, max: 5 })
      .chain((width) =>
        fc.array(fc.array(number, { minLength: width + 1, maxLength: width + 1 }), { minLength: 1, maxLength: 10 }),
      );
    fc.assert(
      fc.property(table, fc.boolean(), (rows, crlf) => {
        const header = [...Array.from({ length: (rows[0] as string[]).length - 1 }, (_, j) => `x${j}`), 'y'];
        const eol = crlf ? '\r\n' : '\n';
        const plain = [header, ...rows].map((row) => row.join(',')).join(eol);
        const quoted = [header, ...rows].map((row) => row.map((c) => `"${c}"`).join(',')).join(eol);
        const before = splitterBefore(plain, 'y');
        expect(asPlain(parseNumericCsv(plain, 'y'))).toEqual(before);
        expect(asPlain(parseNumericCsv(quoted, 'y'))).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });
});
