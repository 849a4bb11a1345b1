import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Category, categoryAt, missingCount } from '@mlops/ml';
import { readRawCsv } from '../csv.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { stringOptions } from '../options.js';

/** Help text for `mlops predict`. */
export const PREDICT_USAGE = `usage: mlops predict [--url http://127.0.0.1:8080] (--features '[[x0, ...], ...]' | --csv FILE.csv [--target y])
Sends rows to the predictor's POST /predict and prints its JSON answer (the target column of a CSV is dropped;
a CSV with text or empty cells is sent as named records, for a model trained on a CSV table).`;

const FLAGS = ['url', 'features', 'csv', 'target'] as const;

/** `mlops predict`: score rows with the running predictor. */
export async function predictCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: stringOptions(FLAGS), strict: true, allowPositionals: false });
  const url = `${(values.url ?? 'http://127.0.0.1:8080').replace(/\/$/, '')}/predict`;
  const body = await bodyFrom(values, io);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).catch((err: unknown) => {
    throw new UsageError(`cannot reach ${url} (${(err as Error).cause ?? err}): is the predictor running?`, 1);
  });
  const text = await response.text();
  if (!response.ok) throw new UsageError(`${url} answered ${response.status}: ${text.trim()}`, 1);
  io.stdout(`${text.trim()}\n`);
  return 0;
}

async function bodyFrom(
  values: Partial<Record<(typeof FLAGS)[number], string>>,
  io: CliIo,
): Promise<{ features: number[][] } | { records: Record<string, Category>[] }> {
  if ((values.features === undefined) === (values.csv === undefined)) {
    throw new UsageError(`give exactly one of --features or --csv\n${PREDICT_USAGE}`);
  }
  if (values.csv !== undefined) return await csvBody(resolve(io.cwd, values.csv), values.target ?? 'y');
  return { features: featuresOption(values.features ?? '') };
}

/** A numeric CSV as rows of features; any other (text, empty cells) as records of its columns but the target. */
async function csvBody(path: string, target: string) {
  const table = await readRawCsv(path);
  const columns = table.columns.filter((c) => c.name !== target);
  if (table.columns.every((c) => c.kind === 'number' && missingCount(c) === 0)) {
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
