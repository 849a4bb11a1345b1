import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, fittedModel, startTestServer, type TestServer } from './support/harness.js';

const FEATURES = ['x0', 'x1', 'x2'];
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ model: fittedModel({ features: 3, name: 'clf' }), maxRows: 20 });
});
afterAll(async () => {
  await t.close();
});

const post = (body: string, type: string) => call(t.base, 'POST', '/invocations', body, { 'content-type': type });
const predictions = (json: { predictions: { probability: number; label: unknown }[] }) =>
  json.predictions.map(({ probability, label }) => ({ probability, label }));

/** A numeric table in any column order (maybe with an extra column), each value with how it is spelled in CSV. */
const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: -1000, max: 1000 }));
const plainSpelling = fc.constantFrom(
  (v: number) => String(v),
  (v: number) => v.toExponential(),
  (v: number) => ` ${v}\t`,
);
const anySpelling = fc.oneof(
  plainSpelling,
  fc.constantFrom(
    (v: number) => `"${v}"`,
    (v: number) => `" ${v} "`,
  ),
);
/** Quote-free tables (the reader's fast path) and tables with quoted cells (csv-parse), in even shares. */
const table = fc.boolean().chain((plain) =>
  fc.record({
    columns: fc.shuffledSubarray([...FEATURES, 'extra'], { minLength: 4 }).chain((all) =>
      fc.constantFrom(
        all,
        all.filter((c) => c !== 'extra'),
      ),
    ),
    rows: fc.array(fc.array(fc.tuple(value, plain ? plainSpelling : anySpelling), { minLength: 4, maxLength: 4 }), {
      minLength: 1,
      maxLength: 20,
    }),
    eol: fc.constantFrom('\n', '\r\n'),
    finalBreak: fc.boolean(),
    bom: fc.boolean(),
    quotedHeader: plain ? fc.constant(false) : fc.boolean(),
  }),
);
type Table = typeof table extends fc.Arbitrary<infer T> ? T : never;

function toCsv({ columns, rows, eol, finalBreak, bom, quotedHeader }: Table): string {
  const header = columns.map((c) => (quotedHeader ? `"${c}"` : c)).join(',');
  const lines = rows.map((row) =>
    row
      .slice(0, columns.length)
      .map(([v, spell]) => spell(v))
      .join(','),
  );
  return `${bom ? '\ufeff' : ''}${[header, ...lines].join(eol)}${finalBreak ? eol : ''}`;
}

const toSplit = ({ columns, rows }: Table) => ({
  dataframe_split: { columns, data: rows.map((row) => row.slice(0, columns.length).map(([v]) => v)) },
});

/** Damage: a character from CSV's alphabet put in, a stretch cut out, or the text cut short. */
const damage = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom('"', ',', '\n', '\r', ' ', 'x', '\ufeff', '😀')).map(
    ([at, c]) =>
      (text: string) =>
        `${text.slice(0, at % (text.length + 1))}${c}${text.slice(at % (text.length + 1))}`,
  ),
  fc.tuple(fc.nat(), fc.nat(8)).map(([at, n]) => (text: string) => {
    const from = at % (text.length + 1);
    return text.slice(0, from) + text.slice(from + n);
  }),
  fc.nat().map((at) => (text: string) => text.slice(0, at % (text.length + 1))),
);
const damaged = fc
  .tuple(table, fc.array(damage, { minLength: 1, maxLength: 4 }))
  .map(([t, cuts]) => cuts.reduce((text, cut) => cut(text), toCsv(t)));
const noise = fc.oneof(
  fc.string({ unit: fc.constantFrom(',', '"', '\r', '\n', ' ', 'x0', 'x1', 'x2', '1', '-', '.', 'e', 'é') }),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

describe('fuzzing POST /invocations with text/csv', () => {
  it('when a well-formed numeric CSV is sent, then it is scored exactly as the same rows in dataframe_split', async () => {
    await fc.assert(
      fc.asyncProperty(table, async (sample) => {
        const csv = await post(toCsv(sample), 'text/csv');
        const json = await post(JSON.stringify(toSplit(sample)), 'application/json');
        expect([csv.status, json.status]).toEqual([200, 200]);
        expect(predictions(csv.json)).toEqual(predictions(json.json));
      }),
      { numRuns: 150 },
    );
  });

  it('when damaged or random CSV is sent, then it never answers 5xx, and every 4xx has MLflow error shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(damaged, noise),
        fc.constantFrom('text/csv', 'text/csv; charset=utf-8'),
        async (body, type) => {
          const { status, json } = await post(body, type);
          expect(status === 200 || (status >= 400 && status < 500)).toBe(true);
          expect(status === 200 ? Array.isArray(json.predictions) : typeof json.message === 'string').toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('when CSV is malformed, then the 400 names the line and column', async () => {
    const unclosed = await post('x0,x1,x2\n1,2,3\n4,"5,6\n', 'text/csv');
    expect(unclosed.status).toBe(400);
    expect(unclosed.json).toMatchObject({ error_code: 'BAD_REQUEST' });
    expect(unclosed.json.message).toMatch(/^CSV line 3, column 2: the quoted cell that starts here is never closed/);
    const ragged = await post('x0,x1,x2\r\n"1",2,3\r\n4,5\r\n', 'text/csv');
    expect(ragged.json.message).toBe('CSV row 2 (line 3): 2 cells, the header has 3');
    const quoted = await post('"x0","x1","x2"\n"1","2,5",3\n', 'text/csv');
    expect(quoted.json.message).toBe('CSV row 1, column "x1": "2,5" is not a finite number');
  });
});
