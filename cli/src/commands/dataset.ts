import { resolve } from 'node:path';
import {
  customersCsv,
  InvalidParameterError,
  type MakeClassificationOptions,
  makeClassification,
  takeRows,
  takeValues,
  trainTestSplit,
} from '@mlops/ml';
import { writeDatasetCsv, writeOutput } from '../csv.js';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import {
  integerOption,
  numberListOption,
  numberOption,
  parseFlags,
  type RawOptions,
  requiredString,
  stringOptions,
} from '../options.js';

/** Help text for `mlops dataset make-classification` and `mlops dataset customers`. */
export const DATASET_USAGE = `usage: mlops dataset customers --out FILE.csv [--rows N (2000)] [--random-state S (7)] [--missing F (0.03)]
  a seeded churn table: customer id, plan, region, tenure, charges, support calls, empty cells, yes/no labels
usage: mlops dataset make-classification --random-state S --out FILE.csv [options]
  --samples N (100)  --features D (20)  --informative K (2)  --redundant K (2)  --repeated K (0)
  --classes K (2)  --clusters-per-class K (2)  --weights w0,w1,...  --flip-y F (0.01)  --class-sep F (1.0)
  --no-hypercube  --shift F|random (0.0)  --scale F|random (1.0)  --no-shuffle
  --split F|N      also write FILE.train.csv, FILE.test.csv and FILE.split.json (train_test_split indices)
  --split-random-state S (defaults to --random-state)  --stratify
Negative numbers need '=': --shift=-1.5`;

const FLAGS = [
  'samples',
  'features',
  'informative',
  'redundant',
  'repeated',
  'classes',
  'clusters-per-class',
  'weights',
  'flip-y',
  'class-sep',
  'shift',
  'scale',
  'random-state',
  'out',
  'split',
  'split-random-state',
] as const;

/** The most values one generated data set holds: about 20 characters each as CSV text, in one string (V8 caps a string near 512 MB). */
const MAX_CELLS = 10_000_000;

/** `mlops dataset make-classification`: scikit-learn's generator to CSV, optionally with its train/test split. */
export async function datasetCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'customers') return await customersCommand(rest, io);
  if (sub === undefined || sub.startsWith('-'))
    throw new UsageError(`dataset needs a kind first: make-classification or customers\n${DATASET_USAGE}`);
  if (sub !== 'make-classification') throw new UsageError(`unknown dataset command "${sub}"\n${DATASET_USAGE}`);
  const { values } = parseFlags({
    args: rest,
    options: {
      ...stringOptions(FLAGS),
      'no-hypercube': { type: 'boolean' },
      'no-shuffle': { type: 'boolean' },
      stratify: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  const options = generatorOptions(values);
  const out = resolve(io.cwd, requiredString(values, 'out'));
  const cells = (options.nSamples ?? 100) * (options.nFeatures ?? 20);
  if (cells > MAX_CELLS) {
    const most = MAX_CELLS.toLocaleString('en');
    throw new UsageError(`--samples × --features is ${cells.toLocaleString('en')} values: at most ${most}`);
  }
  const split = numberOption(values, 'split');
  if (split === undefined && (values.stratify === true || values['split-random-state'] !== undefined))
    throw new UsageError('--stratify and --split-random-state shape the split: add --split FRACTION');
  const { X, y } = makeClassification(options);
  const randomState = integerOption(values, 'split-random-state') ?? options.randomState;
  // Split before writing anything: a bad --split leaves no half-written set of files behind.
  const sides = split === undefined ? undefined : splitOrSay(X.rows, y, split, randomState, values);
  await writeDatasetCsv(out, X, y);
  io.stdout(`wrote ${X.rows} rows × ${X.cols} features to ${out}\n`);
  if (sides === undefined || split === undefined) return 0;
  const { train, test } = sides;
  const base = out.replace(/\.csv$/i, '');
  await writeDatasetCsv(`${base}.train.csv`, takeRows(X, train), takeValues(y, train));
  await writeDatasetCsv(`${base}.test.csv`, takeRows(X, test), takeValues(y, test));
  const indices = { test_size: split, random_state: randomState, stratify: values.stratify === true };
  await writeOutput(`${base}.split.json`, `${JSON.stringify({ ...indices, train: [...train], test: [...test] })}\n`);
  io.stdout(
    `wrote ${train.length} train / ${test.length} test rows to ${base}.{train,test}.csv and ${base}.split.json\n`,
  );
  return 0;
}

/** The train/test split, or a usage error naming the flags as typed (the library speaks of derived sizes). */
function splitOrSay(rows: number, y: Float64Array, split: number, randomState: number, values: RawOptions) {
  try {
    return trainTestSplit(rows, { testSize: split, randomState, ...(values.stratify === true ? { stratify: y } : {}) });
  } catch (err) {
    if (!(err instanceof InvalidParameterError)) throw err;
    const flag = err.parameter === 'random_state' ? 'split-random-state' : 'split';
    const typed = flag === 'split' ? values.split : (values['split-random-state'] ?? values['random-state']);
    throw new UsageError(`--${flag} ${typed}: ${err.allowed}`, 2, { cause: err });
  }
}

function generatorOptions(values: RawOptions): MakeClassificationOptions {
  const randomState = integerOption(values, 'random-state');
  if (randomState === undefined) throw new UsageError('--random-state is required (data sets must be reproducible)');
  const set = <T>(key: keyof MakeClassificationOptions, value: T | undefined) =>
    value === undefined ? {} : { [key]: value };
  return {
    randomState,
    ...set('nSamples', integerOption(values, 'samples')),
    ...set('nFeatures', integerOption(values, 'features')),
    ...set('nInformative', integerOption(values, 'informative')),
    ...set('nRedundant', integerOption(values, 'redundant')),
    ...set('nRepeated', integerOption(values, 'repeated')),
    ...set('nClasses', integerOption(values, 'classes')),
    ...set('nClustersPerClass', integerOption(values, 'clusters-per-class')),
    ...set('weights', numberListOption(values, 'weights')),
    ...set('flipY', numberOption(values, 'flip-y')),
    ...set('classSep', numberOption(values, 'class-sep')),
    ...set('shift', randomOrNumber(values, 'shift')),
    ...set('scale', randomOrNumber(values, 'scale')),
    ...(values['no-hypercube'] === true ? { hypercube: false } : {}),
    ...(values['no-shuffle'] === true ? { shuffle: false } : {}),
  };
}

function randomOrNumber(values: RawOptions, name: string): number | null | undefined {
  return values[name] === 'random' ? null : numberOption(values, name);
}

async function customersCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({
    args,
    options: stringOptions(['out', 'rows', 'random-state', 'missing'] as const),
    strict: true,
    allowPositionals: false,
  });
  const out = resolve(io.cwd, requiredString(values, 'out'));
  const nSamples = integerOption(values, 'rows') ?? 2000;
  const randomState = integerOption(values, 'random-state') ?? 7;
  const missingRate = numberOption(values, 'missing') ?? 0.03;
  await writeOutput(out, customersCsv({ nSamples, randomState, missingRate }));
  io.stderr(`wrote ${out}: ${nSamples} customers, target "churned" (yes/no)\n`);
  return 0;
}
