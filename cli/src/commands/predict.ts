import { resolve } from 'node:path';
import {
  type Category,
  CSV_DELIMITERS,
  type CsvDelimiter,
  categoryAt,
  isMissing,
  missingCount,
  type RawColumn,
} from '@mlops/ml';
import { isDecimalNumber } from '@mlops/service-kit';
import { CSV_FORMAT_USAGE, csvFormatOption, type RawCsv, readRawCsvCells } from '../csv.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { parseFlags, stringOptions } from '../options.js';
import { answerText, callPredictor, predictorBase } from '../predictor-http.js';
import { recordedStackEndpoints } from '../stack-defaults.js';

/** Help text for `mlops predict`. */
export const PREDICT_USAGE = `usage: mlops predict [--url http://127.0.0.1:8080] (--features '[[x0, ...], ...]' | --csv FILE.csv [--target y])
  ${CSV_FORMAT_USAGE}
Sends rows to the predictor's POST /predict and prints its JSON answer. A CSV's columns are found by name, in any
order: the target column (--target, default y when present) is dropped, and the others must be the served model's
features (a model trained on a CSV table takes its raw columns and ignores others), or the command names the missing
(and extra) ones. A large file goes in requests of at most 5,000 rows (4 MiB), printed as one answer. Without --url:
the predictor mlops up recorded in $MLOPS_DATA_DIR/stack.json (else in data/stack.json; refused when that stack is
stopped), else http://127.0.0.1:8080.
A predictor started with PREDICTOR_AUTH_TOKENS wants one of them in PREDICTOR_TOKEN.`;

const FLAGS = ['url', 'features', 'csv', 'target', 'delimiter', 'decimal'] as const;

/** `mlops predict`: score rows with the running predictor. */
export async function predictCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: stringOptions(FLAGS), strict: true, allowPositionals: false });
  const base = predictorBase(values.url ?? (await recordedStackEndpoints(io)).predictor);
  const url = `${base}/predict`;
  const body = await bodyFrom(values, io, base);
  const batches = batchesOf(body);
  if (batches.length === 1) {
    const only = await scoreBatch(url, io, batches[0]!, false);
    if (only.ok) {
      io.stdout(`${only.text.trim()}\n`);
      return 0;
    }
  }
  io.stdout(`${JSON.stringify(await scoreInBatches(url, io, batches))}\n`);
  return 0;
}

/**
 * Scores the batches one after another and merges their answers in row order. A batch the predictor finds too large
 * (413: its limits are set lower than the defaults) is sent again in halves. A model swapped between batches (a new
 * champion) stops the run at once, naming the rows each version scored, rather than merging them under one version.
 */
async function scoreInBatches(url: string, io: CliIo, initial: readonly Batch[]): Promise<NativeAnswer> {
  const pending = [...initial];
  const answers: NativeAnswer[] = [];
  for (let batch = pending.shift(); batch !== undefined; batch = pending.shift()) {
    const reply = await scoreBatch(url, io, batch, true);
    if (!reply.ok) {
      pending.unshift(...halves(batch));
      continue;
    }
    const answer = parseAnswer(reply.text, url);
    const first = answers[0]?.model;
    if (first !== undefined && (answer.model.name !== first.name || answer.model.version !== first.version)) {
      throw new UsageError(
        `the served model changed while the rows were sent: rows 0–${batch.first - 1} were scored by ${first.name} v${first.version}, rows from ${batch.first} by ${answer.model.name} v${answer.model.version}; nothing after row ${batch.first + rowCount(batch.body) - 1} was sent: send the file again`,
        1,
      );
    }
    answers.push(answer);
  }
  return {
    model: answers[0]!.model,
    predictions: answers.flatMap((a) => a.predictions),
    probabilities: answers.flatMap((a) => a.probabilities),
    prediction_ids: answers.flatMap((a) => a.prediction_ids),
  };
}

/** A batch in two (a batch of one row cannot be split: the predictor's 413 is said as it is). */
function halves(batch: Batch): Batch[] {
  const rows = rowsOf(batch.body);
  const middle = Math.ceil(rows.length / 2);
  return [
    { first: batch.first, body: withRows(batch.body, rows.slice(0, middle)) },
    { first: batch.first + middle, body: withRows(batch.body, rows.slice(middle)) },
  ];
}

function rowCount(body: PredictBody): number {
  return rowsOf(body).length;
}

/** A body's rows, whichever form it has. */
function rowsOf(body: PredictBody): unknown[] {
  return 'features' in body ? body.features : body.records;
}

/** A body of the same form as `like` holding `rows`. */
function withRows(like: PredictBody, rows: unknown[]): PredictBody {
  return 'features' in like ? { features: rows as number[][] } : { records: rows as Record<string, Category>[] };
}

/** Rows sent in one request at most: well under the predictor's defaults (10,000 rows, 8 MiB). */
const BATCH_ROWS = 5000;
const BATCH_BYTES = 4 * 1024 * 1024;

type PredictBody = { features: number[][] } | { records: Record<string, Category>[] };

/** One request's rows and where they start in the whole. */
interface Batch {
  readonly first: number;
  readonly body: PredictBody;
}

/** The rows in requests the predictor takes (by rows and by JSON bytes), in order. */
function batchesOf(body: PredictBody): Batch[] {
  const rows = rowsOf(body);
  const batches: Batch[] = [];
  let first = 0;
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const size = Buffer.byteLength(JSON.stringify(rows[i])) + 1;
    if (i > first && (i - first >= BATCH_ROWS || bytes + size > BATCH_BYTES)) {
      batches.push({ first, body: withRows(body, rows.slice(first, i)) });
      first = i;
      bytes = 0;
    }
    bytes += size;
  }
  batches.push({ first, body: withRows(body, rows.slice(first)) });
  return batches;
}

/**
 * Scores one batch. A 413 of a batch that can be split is handed back (not ok) to be sent in halves; any other
 * refusal names the rows the batch held (the predictor counts a batch's rows from 0) when the file went in several.
 */
async function scoreBatch(
  url: string,
  io: CliIo,
  batch: Batch,
  several: boolean,
): Promise<{ ok: true; text: string } | { ok: false }> {
  const response = await callPredictor(url, io.env, batch.body);
  const text = await answerText(response, url);
  if (response.ok) return { ok: true, text };
  const rows = rowCount(batch.body);
  if (response.status === 413 && rows > 1) return { ok: false };
  const last = batch.first + rows - 1;
  const before = batch.first === 0 ? '' : `; rows before ${batch.first} were scored`;
  const where = several || batch.first > 0 ? ` (rows ${batch.first}–${last} sent as rows 0–${rows - 1}${before})` : '';
  throw new UsageError(`${url} answered ${response.status}${where}: ${text.trim()}`, 1);
}

/** The native answer of `POST /predict`. */
interface NativeAnswer {
  readonly model: { readonly name: string; readonly version: string };
  readonly predictions: unknown[];
  readonly probabilities: number[];
  readonly prediction_ids: string[];
}

function parseAnswer(text: string, url: string): NativeAnswer {
  try {
    return JSON.parse(text) as NativeAnswer;
  } catch {
    throw new UsageError(`${url} did not answer JSON: is --url the predictor?`, 1);
  }
}

async function bodyFrom(
  values: Partial<Record<(typeof FLAGS)[number], string>>,
  io: CliIo,
  base: string,
): Promise<PredictBody> {
  if ((values.features === undefined) === (values.csv === undefined)) {
    throw new UsageError(`give exactly one of --features or --csv\n${PREDICT_USAGE}`);
  }
  const format = csvFormatOption(values);
  if (values.csv === undefined) {
    if (Object.keys(format).length > 0)
      throw new UsageError('--delimiter and --decimal describe a CSV: add --csv FILE');
    return { features: featuresOption(values.features ?? '') };
  }
  const file = values.csv;
  const inputs = await servedInputs(base, io.env);
  // A model's text column is sent as the file writes it, even where every cell looks like a number ("0101").
  const { table, cell } = await readRawCsvCells(resolve(io.cwd, file), inputs.textColumns, format);
  const names = table.columns.map((c) => c.name);
  const delimiter = format.delimiter ?? ',';
  if (values.target !== undefined && !names.includes(values.target)) {
    const hint = delimiterHint(names, [values.target], delimiter);
    throw new UsageError(
      `${file}: --target "${values.target}" is not a column (columns: ${names.join(', ')})${hint}`,
      1,
    );
  }
  return csvBody({ table, cell }, { file, delimiter }, values.target ?? 'y', inputs);
}

/** What GET /model says the served model takes. */
interface ServedInputs {
  /** A table model (raw columns by name), or a matrix model (numeric features in order). */
  readonly raw: boolean;
  readonly names: readonly string[];
  /** A table model's text columns. */
  readonly textColumns: readonly string[];
}

/** The served model's inputs (GET /model): a table model's raw columns, or the names of its numeric features. */
async function servedInputs(base: string, env: CliIo['env']): Promise<ServedInputs> {
  const response = await callPredictor(`${base}/model`, env);
  if (!response.ok)
    throw new UsageError(`${base}/model answered ${response.status}: ${(await answerText(response, base)).trim()}`, 1);
  const text = await answerText(response, `${base}/model`);
  let model: { input_columns?: { name: string; kind?: string }[]; feature_names?: string[] };
  try {
    model = JSON.parse(text) as typeof model;
  } catch {
    throw new UsageError(`${base}/model did not answer JSON: is --url the predictor?`, 1);
  }
  const columns = model.input_columns;
  if (Array.isArray(columns)) {
    const textColumns = columns.filter((c) => c.kind === 'text').map((c) => c.name);
    return { raw: true, names: columns.map((c) => c.name), textColumns };
  }
  return { raw: false, names: model.feature_names ?? [], textColumns: [] };
}

/**
 * A table model gets named records; any other model rows of numbers in its features' order. Either way the CSV's
 * columns (the target dropped) must be the model's inputs by name: a renamed, missing or extra column is refused
 * rather than scored by position.
 */
function csvBody(
  { table, cell }: RawCsv,
  { file, delimiter }: { file: string; delimiter: CsvDelimiter },
  target: string,
  inputs: ServedInputs,
) {
  const columns = table.columns.filter((c) => c.name !== target);
  // A table model's request may carry more columns than it takes (ids, excluded columns): it reads its own by name.
  checkColumns(
    columns.map((c) => c.name),
    inputs.names,
    { file, delimiter },
    !inputs.raw,
  );
  if (!inputs.raw) {
    const problem = firstNonNumber(columns, cell);
    if (problem !== undefined)
      throw new UsageError(`${file}: ${problem}: the served model takes a number in every cell`, 1);
    const byName = new Map(columns.map((c) => [c.name, c.values]));
    const ordered = inputs.names.map((name) => byName.get(name) as ArrayLike<number>);
    return { features: Array.from({ length: table.rows }, (_, i) => ordered.map((values) => values[i] as number)) };
  }
  const records = Array.from({ length: table.rows }, (_, i) =>
    Object.fromEntries(columns.map((c) => [c.name, categoryAt(c, i)])),
  );
  return { records };
}

/**
 * The first cell (by data row, then column) that is empty or not a number, said with its row and column; `cell` gives
 * a missing cell's text, to tell a `NaN` (or `NA`) from an empty cell.
 */
export function firstNonNumber(columns: readonly RawColumn[], cell?: RawCsv['cell']): string | undefined {
  const suspects = columns.filter((c) => c.kind === 'text' || missingCount(c) > 0);
  const rows = suspects[0]?.values.length ?? 0;
  for (let row = 0; row < rows; row++) {
    for (const column of suspects) {
      const at = `data row ${row + 1}, column "${column.name}"`;
      if (isMissing(column, row)) return `${at} ${missingCell(cell?.(row, column.name))}`;
      const text = column.kind === 'text' ? column.values[row] : null;
      if (typeof text === 'string' && !isDecimalNumber(text.trim()))
        return `${at} holds ${JSON.stringify(text.slice(0, 40))}, not a number`;
    }
  }
  // Cells the CSV reader took for text although each reads as a number here: name the column at least.
  return suspects[0] === undefined ? undefined : `column "${suspects[0].name}" is not all numbers`;
}

/** What a cell read as missing holds: nothing, NaN, or another of pandas' missing values (`NA`, `null`). */
function missingCell(text: string | undefined): string {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') return 'is empty';
  if (/^[+-]?nan$/i.test(trimmed)) return `holds ${trimmed} (not a number)`;
  return `holds ${JSON.stringify(trimmed)}, a missing value`;
}

/** Refuses a CSV that lacks some of the model's inputs (or, when `exact`, has others), naming them. */
function checkColumns(
  columns: readonly string[],
  inputs: readonly string[],
  { file, delimiter }: { file: string; delimiter: CsvDelimiter },
  exact: boolean,
): void {
  const missing = inputs.filter((name) => !columns.includes(name));
  const extra = exact ? columns.filter((name) => !inputs.includes(name)) : [];
  if (missing.length === 0 && extra.length === 0) return;
  // A header read with the wrong delimiter is one cell (or cells) naming none of the inputs: say which delimiter fits.
  const hint = delimiterHint(columns, inputs, delimiter);
  if (hint !== '') {
    const what = `${file}: the header read with --delimiter ${shownDelimiter(delimiter)} names none of the served model's inputs`;
    throw new UsageError(`${what} (${inputs.join(', ')})${hint}`, 1);
  }
  const parts = [
    ...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []),
    ...(extra.length > 0
      ? [`not inputs of the served model: ${extra.join(', ')} (a target column? use --target)`]
      : []),
  ];
  throw new UsageError(
    `${file}: the columns are not the served model's inputs (${inputs.join(', ')}): ${parts.join('; ')}`,
    1,
  );
}

/**
 * When none of `wanted` is a column, but splitting the header's cells by another delimiter names some: a hint to give
 * that one (`: the file looks separated by ','; give --delimiter ','`); empty otherwise.
 */
export function delimiterHint(columns: readonly string[], wanted: readonly string[], given: CsvDelimiter): string {
  if (wanted.length === 0 || wanted.some((name) => columns.includes(name))) return '';
  const fits = CSV_DELIMITERS.find((other) => {
    if (other === given) return false;
    const names = columns.flatMap((c) => c.split(other).map((part) => part.trim()));
    return wanted.some((name) => names.includes(name));
  });
  if (fits === undefined) return '';
  return `: the file looks separated by ${shownDelimiter(fits)}; give --delimiter ${shownDelimiter(fits)}`;
}

/** A delimiter as `--delimiter` takes it on a shell line. */
function shownDelimiter(delimiter: CsvDelimiter): string {
  return delimiter === '\t' ? 'tab' : `'${delimiter}'`;
}

function featuresOption(text: string): number[][] {
  let rows: unknown[];
  let overflow = false;
  try {
    // JSON.parse reads 1e400 as Infinity, which JSON.stringify would send as null: mark it with its text to refuse it.
    const parsed: unknown = JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
      if (typeof value !== 'number' || Number.isFinite(value)) return value;
      overflow = true;
      return new TooLarge(context?.source ?? String(value));
    });
    if (!Array.isArray(parsed)) throw new Error('not an array');
    rows = parsed.length > 0 && !Array.isArray(parsed[0]) ? [parsed] : parsed;
  } catch (err) {
    throw new UsageError(`--features must be a JSON array of numbers or of rows (${(err as Error).message})`);
  }
  if (overflow) throw new UsageError(`--features: ${tooLargeCell(rows)}`);
  return rows as number[][];
}

/** A number of `--features` too large for a float64, as written. */
class TooLarge {
  constructor(readonly source: string) {}
}

/** Where the first number too large for a float64 sits in `rows`, by row and column (from 0), and its text. */
function tooLargeCell(rows: readonly unknown[]): string {
  for (const [i, row] of rows.entries()) {
    const j = Array.isArray(row) ? row.findIndex((v) => v instanceof TooLarge) : -1;
    if (j >= 0) return `row ${i}, column ${j} holds ${(row as TooLarge[])[j]?.source}, too large for a float64`;
  }
  return 'a number is too large for a float64';
}
