import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Category, categoryAt, missingCount, type RawTable } from '@mlops/ml';
import { readRawCsv } from '../csv.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { stringOptions } from '../options.js';
import { callPredictor } from '../predictor-http.js';

/** Help text for `mlops predict`. */
export const PREDICT_USAGE = `usage: mlops predict [--url http://127.0.0.1:8080] (--features '[[x0, ...], ...]' | --csv FILE.csv [--target y])
Sends rows to the predictor's POST /predict and prints its JSON answer (the target column of a CSV is dropped;
for a model trained on a CSV table the rows go as named records, so column order does not matter).`;

const FLAGS = ['url', 'features', 'csv', 'target'] as const;

/** `mlops predict`: score rows with the running predictor. */
export async function predictCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: stringOptions(FLAGS), strict: true, allowPositionals: false });
  const base = (values.url ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const url = `${base}/predict`;
  const body = await bodyFrom(values, io, base);
  const response = await callPredictor(url, body);
  const text = await response.text();
  if (!response.ok) throw new UsageError(`${url} answered ${response.status}: ${text.trim()}`, 1);
  io.stdout(`${text.trim()}\n`);
  return 0;
}

async function bodyFrom(
  values: Partial<Record<(typeof FLAGS)[number], string>>,
  io: CliIo,
  base: string,
): Promise<{ features: number[][] } | { records: Record<string, Category>[] }> {
  if ((values.features === undefined) === (values.csv === undefined)) {
    throw new UsageError(`give exactly one of --features or --csv\n${PREDICT_USAGE}`);
  }
  if (values.csv === undefined) return { features: featuresOption(values.features ?? '') };
  const table = await readRawCsv(resolve(io.cwd, values.csv));
  return csvBody(table, values.target ?? 'y', await takesRawColumns(base));
}

/** Whether the served model takes raw columns (a table model: GET /model lists its input_columns). */
async function takesRawColumns(base: string): Promise<boolean> {
  const response = await callPredictor(`${base}/model`);
  if (!response.ok)
    throw new UsageError(`${base}/model answered ${response.status}: ${(await response.text()).trim()}`, 1);
  return Array.isArray(((await response.json()) as { input_columns?: unknown }).input_columns);
}

/** A table model gets named records (columns found by name, the target dropped); any other model rows of numbers. */
function csvBody(table: RawTable, target: string, raw: boolean) {
  const columns = table.columns.filter((c) => c.name !== target);
  if (!raw) {
    const text = columns.find((c) => c.kind === 'text' || missingCount(c) > 0);
    if (text !== undefined)
      throw new UsageError(`column "${text.name}" is not all numbers: the served model takes numbers`, 1);
    return { features: Array.from({ length: table.rows }, (_, i) => columns.map((c) => c.values[i] as number)) };
  }
  const records = Array.from({ length: table.rows }, (_, i) =>
    Object.fromEntries(columns.map((c) => [c.name, categoryAt(c, i)])),
  );
  return { records };
}

function featuresOption(text: string): number[][] {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error('not an array');
    return (parsed.length > 0 && !Array.isArray(parsed[0]) ? [parsed] : parsed) as number[][];
  } catch (err) {
    throw new UsageError(`--features must be a JSON array of numbers or of rows (${(err as Error).message})`);
  }
}
