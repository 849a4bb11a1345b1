import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CSV_DELIMITERS,
  type CsvDelimiter,
  CsvSyntaxError,
  decodeCsvBytes,
  readCsv,
  readPlain,
  readQuoted,
} from '../src/io/csv-reader.js';

const cellsOf = (text: string) => readCsv(text).map((record) => record.cells);

/** Tricky inputs and what Python's csv module (strict=True, newline='') reads from them; readCsv must agree. */
const PYTHON_CSV: readonly (readonly [string, string[][]])[] = [
  [
    'a,b,c\r\n1,"2,5",3\r\n',
    [
      ['a', 'b', 'c'],
      ['1', '2,5', '3'],
    ],
  ],
  [
    'name,quote\n"O\'Brien, Pat","she said ""hi"""\n',
    [
      ['name', 'quote'],
      ["O'Brien, Pat", 'she said "hi"'],
    ],
  ],
  [
    'a,b\n"line one\nline two",2\n3,"x\r\ny"\n',
    [
      ['a', 'b'],
      ['line one\nline two', '2'],
      ['3', 'x\r\ny'],
    ],
  ],
  [
    ' a , b \n 1 ,"2 "\n',
    [
      [' a ', ' b '],
      [' 1 ', '2 '],
    ],
  ],
  [
    'é,😀,"ü,ß"\n"",,""""\n',
    [
      ['é', '😀', 'ü,ß'],
      ['', '', '"'],
    ],
  ],
  [
    'a,b\n1,2\n"3","4"',
    [
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ],
  ],
];

describe('decodeCsvBytes', () => {
  it('when the bytes are UTF-8 (a BOM, accents, emoji), then they decode as they are', () => {
    const text = '\uFEFFcouleur,y\nrougeé,1\n😀,0\n';
    expect(decodeCsvBytes(new TextEncoder().encode(text), 'a.csv')).toBe(text);
  });

  it('when a byte is not UTF-8 (a Latin-1 file), then the error names the file, line, byte and what precedes it', () => {
    const latin1 = Uint8Array.from([
      ...new TextEncoder().encode('couleur,y\nrouge'),
      0xe9,
      ...new TextEncoder().encode(',1\n'),
    ]);
    expect(() => decodeCsvBytes(latin1, 'a.csv')).toThrow(
      'a.csv:2: byte 0xe9 after "rouge" is not UTF-8: save the file as UTF-8',
    );
    expect(() => decodeCsvBytes(Uint8Array.from([0x63, 0xff, 0x0a]), 'h.csv')).toThrow('h.csv:1: byte 0xff after "c"');
    // A real U+FFFD before the bad byte, an overlong form and a surrogate: the first bad byte is named.
    const encode = (text: string) => [...new TextEncoder().encode(text)];
    const withReplacement = Uint8Array.from([...encode('a,b\n\uFFFDx,1\nrouge'), 0xe9, 0x0a]);
    expect(() => decodeCsvBytes(withReplacement, 'r.csv')).toThrow('r.csv:3: byte 0xe9 after "rouge"');
    expect(() => decodeCsvBytes(Uint8Array.from([0x61, 0xc0, 0xaf]), 'o.csv')).toThrow('o.csv:1: byte 0xc0 after "a"');
    expect(() => decodeCsvBytes(Uint8Array.from([0x61, 0xed, 0xa0, 0x80]), 's.csv')).toThrow(
      's.csv:1: byte 0xed after "a"',
    );
    expect(() => decodeCsvBytes(Uint8Array.from([...encode('é'), 0xe2, 0x82]), 't.csv')).toThrow(
      't.csv:1: byte 0xe2 after "é"',
    );
  });
});

describe('readCsv: RFC 4180', () => {
  it.each(PYTHON_CSV)('when given %j, then it reads the cells Python reads', (text, cells) => {
    expect(cellsOf(text)).toEqual(cells);
  });

  it('when the text starts with a BOM, then the BOM is dropped (only there)', () => {
    expect(cellsOf('\ufeffx0,x1\n1,\ufeff2\n')).toEqual([
      ['x0', 'x1'],
      ['1', '\ufeff2'],
    ]);
    expect(cellsOf('\ufeff"x0",x1\n')).toEqual([['x0', 'x1']]);
  });

  it('when lines are empty, or end in CRLF, LF or nothing, then records and their first lines are counted right', () => {
    expect(readCsv('a\r\n\r\nb\nc')).toEqual([
      { cells: ['a'], line: 1 },
      { cells: [''], line: 2 },
      { cells: ['b'], line: 3 },
      { cells: ['c'], line: 4 },
    ]);
    expect(readCsv('"a\nb\r\nc",1\n\n2,"x"\n')).toEqual([
      { cells: ['a\nb\r\nc', '1'], line: 1 },
      { cells: [''], line: 4 },
      { cells: ['2', 'x'], line: 5 },
    ]);
    expect(cellsOf('')).toEqual([]);
    expect(cellsOf('\n')).toEqual([['']]);
    expect(cellsOf('a\rb,c\r')).toEqual([['a\rb', 'c\r']]);
  });
});

describe('readCsv: malformed input', () => {
  it.each([
    ['an unclosed quote', 'a,b\n1,"2\n3,4\n', 2, 2, /never closed/],
    ['text after a closing quote', 'a,b\r\n1,2\r\n3,"x"y\r\n', 3, 2, /text after its closing quote/],
    ['a quote inside an unquoted cell', 'a,b\n1,x"y\n', 2, 2, /quote inside an unquoted cell/],
    ['a quote after a space', 'a, "b"\n', 1, 2, /quote inside an unquoted cell/],
    ['an unclosed quote after multi-byte text', 'é,😀\n"ü\n\nß",1\n"x\n', 5, 1, /never closed/],
    ['an unclosed quote in the first cell', '"abc', 1, 1, /never closed/],
  ])('when it has %s, then a CsvSyntaxError names the line and column', (_what, text, line, column, reason) => {
    const error = captureError(() => readCsv(text));
    expect(error).toBeInstanceOf(CsvSyntaxError);
    expect(error).toMatchObject({ line, column, code: 'INVALID_DATA' });
    expect((error as CsvSyntaxError).message).toMatch(`line ${line}, column ${column}: `);
    expect((error as CsvSyntaxError).reason).toMatch(reason);
    expect((error as CsvSyntaxError).cause).toBeInstanceOf(Error);
  });
});

describe('readCsv: other delimiters', () => {
  it('when cells are separated by semicolons, tabs or pipes, then they split there and a quoted cell keeps its separator', () => {
    expect(readCsv('a;b\n1,5;"x;y"\n', ';').map((r) => r.cells)).toEqual([
      ['a', 'b'],
      ['1,5', 'x;y'],
    ]);
    expect(readCsv('a\tb\r\n1\t2,3\r\n', '\t').map((r) => r.cells)).toEqual([
      ['a', 'b'],
      ['1', '2,3'],
    ]);
    expect(readCsv('a|b\n"1|2"|3', '|').map((r) => r.cells)).toEqual([
      ['a', 'b'],
      ['1|2', '3'],
    ]);
    expect(readCsv('a;b\n1,2;3').map((r) => r.cells)).toEqual([['a;b'], ['1', '2;3']]);
  });

  it('when a quoted cell is broken in a semicolon file, then the error names its line and column', () => {
    const error = captureError(() => readCsv('a;b;c\n1;2;"x"y\n', ';'));
    expect(error).toBeInstanceOf(CsvSyntaxError);
    expect((error as CsvSyntaxError).message).toMatch(/^line 2, column 3: /);
  });

  it('when any table is written with any delimiter, then it reads back the same cells', () => {
    fc.assert(
      fc.property(table, layout, fc.constantFrom(...CSV_DELIMITERS), (rows, options, delimiter) => {
        const text = writeCsv(rows, options, delimiter);
        expect(readCsv(text, delimiter).map((record) => record.cells)).toEqual(rows);
      }),
      { numRuns: 500 },
    );
  });

  it('when text has no quote, then the fast path reads what csv-parse reads, whatever the delimiter', () => {
    const plain = fc.string({ unit: fc.constantFrom(...CSV_DELIMITERS, '\r', '\n', ' ', 'a', '1', '.', 'é') });
    fc.assert(
      fc.property(plain, fc.constantFrom(...CSV_DELIMITERS), (text, delimiter) => {
        expect(readPlain(text, delimiter)).toEqual(readQuoted(text, delimiter));
      }),
      { numRuns: 1000 },
    );
  });
});

/** Any cell: RFC 4180's special characters, a BOM and unicode (no lone surrogates: text decoded from UTF-8 has none). */
const cell = fc
  .array(
    fc.oneof(
      fc.constantFrom(',', ';', '\t', '|', '"', '\r', '\n', '\r\n', ' ', '\ufeff', 'é', '😀'),
      fc.string({ unit: 'binary' }),
    ),
    {
      maxLength: 4,
    },
  )
  .map((parts) => parts.join(''));
const table = fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { maxLength: 8 });
const layout = fc.record({ quoteAll: fc.boolean(), crlf: fc.boolean(), finalBreak: fc.boolean(), bom: fc.boolean() });

/** RFC 4180's writer: quotes (doubling quotes) what needs it, or every cell; a lone empty cell is always quoted. */
function writeCsv(
  rows: string[][],
  options: { quoteAll: boolean; crlf: boolean; finalBreak: boolean; bom: boolean },
  delimiter: CsvDelimiter = ',',
) {
  const quote = (value: string, row: string[]) =>
    options.quoteAll || /["\r\n]|^\ufeff/.test(value) || value.includes(delimiter) || (row.length === 1 && value === '')
      ? `"${value.replaceAll('"', '""')}"`
      : value;
  const eol = options.crlf ? '\r\n' : '\n';
  const body = rows.map((row) => row.map((value) => quote(value, row)).join(delimiter)).join(eol);
  return `${options.bom ? '\ufeff' : ''}${body}${options.finalBreak && rows.length > 0 ? eol : ''}`;
}

describe('readCsv: properties', () => {
  it('when any table is written in RFC 4180 form, then it reads back the same cells', () => {
    fc.assert(
      fc.property(table, layout, (rows, options) => {
        const records = readCsv(writeCsv(rows, options));
        expect(records.map((record) => record.cells)).toEqual(rows);
        expect(records.map((record) => record.line)).toEqual(firstLines(rows));
      }),
      { numRuns: 500 },
    );
  });

  it('when text has no quote, then the fast path reads what csv-parse reads', () => {
    const plain = fc.string({ unit: fc.constantFrom(',', '\r', '\n', ' ', 'a', '1', '.', 'é', '😀', '\ufeff') });
    fc.assert(
      fc.property(plain, (text) => {
        expect(readPlain(text)).toEqual(readQuoted(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('when text is damaged anyhow, then it is read or refused with a CsvSyntaxError on a real line', () => {
    const damaged = fc.string({ unit: fc.constantFrom(',', '"', '\r', '\n', ' ', 'a', '1', 'é', '😀') });
    fc.assert(
      fc.property(damaged, (text) => {
        const error = captureError(() => readCsv(text));
        const lines = text.split('\n').length;
        expect(error === undefined || error instanceof CsvSyntaxError).toBe(true);
        const { line, column } = error instanceof CsvSyntaxError ? error : { line: 1, column: 1 };
        expect(line).toBeGreaterThanOrEqual(1);
        expect(line).toBeLessThanOrEqual(lines);
        expect(column).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 1000 },
    );
  });
});

/** The line each row starts on: one line per row plus the line breaks inside its cells. */
function firstLines(rows: string[][]): number[] {
  let line = 1;
  return rows.map((row) => {
    const first = line;
    line += 1 + row.join('').split('\n').length - 1;
    return first;
  });
}

function captureError(run: () => unknown): unknown {
  try {
    run();
    return undefined;
  } catch (err) {
    return err;
  }
}
