import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer as createTcpServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expandGrid, parseTuneRequest, type VersionStatus } from '@mlops/contracts';
import { LogisticRegression, type LogisticRegressionParams } from '@mlops/ml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { feedbackBatches, refusedLabelsLine, versionReport } from '../src/commands/monitor.js';
import { modelsTable } from '../src/commands/registry.js';
import { historyEntry, retrainReport } from '../src/commands/retrain.js';
import { eventLine } from '../src/commands/traffic.js';
import { followCommand, trainerDatasetPath, tuneRequestOf } from '../src/commands/tune.js';
import { readNumericCsv } from '../src/csv.js';
import { callPredictor } from '../src/predictor-http.js';
import { type CliRun, runCli } from './support/run-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (...argv: string[]) => runCli(argv, { cwd: dir });

function expectOneLineFailure(result: CliRun, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('mlops dataset make-classification', () => {
  it('when asked for the seed data set with a split, then it writes the CSV, both sides and the indices', async () => {
    const result = await run(
      'dataset',
      'make-classification',
      '--samples',
      '1000',
      '--features',
      '20',
      '--random-state',
      '42',
      '--out',
      'seed.csv',
      '--split',
      '0.2',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = (await readFile(join(dir, 'seed.csv'), 'utf8')).trim().split('\n');
    expect(lines[0]).toBe(`${Array.from({ length: 20 }, (_, j) => `x${j}`).join(',')},y`);
    expect(lines).toHaveLength(1001);
    expect(lines[1]!.startsWith('-0.6693560962502948,')).toBe(true);
    const split = JSON.parse(await readFile(join(dir, 'seed.split.json'), 'utf8'));
    expect(split.test.slice(0, 3)).toEqual([521, 737, 740]);
    expect(split.train).toHaveLength(800);
    expect((await readFile(join(dir, 'seed.test.csv'), 'utf8')).trim().split('\n')).toHaveLength(201);
  });

  it('when the feature counts do not add up, then it fails with one line naming the constraint', async () => {
    const result = await run(
      'dataset',
      'make-classification',
      '--features',
      '3',
      '--informative',
      '3',
      '--random-state',
      '1',
      '--out',
      'x.csv',
    );
    expectOneLineFailure(result, /n_informative \+ n_redundant \+ n_repeated/);
  });

  it('when --random-state is missing, then it refuses', async () => {
    expectOneLineFailure(await run('dataset', 'make-classification', '--out', 'x.csv'), /--random-state is required/);
  });
});

describe('mlops fit', () => {
  beforeEach(async () => {
    await run(
      'dataset',
      'make-classification',
      '--samples',
      '1000',
      '--features',
      '20',
      '--random-state',
      '42',
      '--out',
      'seed.csv',
      '--split',
      '0.2',
    );
  });

  it('when fitting the seed split with liblinear, then it prints coef, n_iter and the metrics as JSON', async () => {
    const result = await run(
      'fit',
      '--csv',
      'seed.train.csv',
      '--test-csv',
      'seed.test.csv',
      '--solver',
      'liblinear',
      '--C',
      '1',
    );
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.coef).toHaveLength(20);
    expect(out.coef[0]).toBeCloseTo(0.0906103328, 9);
    expect(out.intercept).toBeCloseTo(0.1269870191, 9);
    expect(out).toMatchObject({ n_iter: 6, converged: true, metrics: { accuracy: 0.855 } });
  });

  it('when the split is saved with semicolons and decimal commas, then --delimiter and --decimal fit it to the same model', async () => {
    const european = async (name: string) => {
      const text = await readFile(join(dir, `seed.${name}.csv`), 'utf8');
      await writeFile(join(dir, `eu.${name}.csv`), text.replaceAll(',', ';').replaceAll('.', ','));
    };
    await european('train');
    await european('test');
    const fit = async (prefix: string, ...format: string[]) =>
      await run('fit', '--csv', `${prefix}.train.csv`, '--test-csv', `${prefix}.test.csv`, '--C', '1', ...format);
    const plain = await fit('seed');
    const said = await fit('eu', '--delimiter', ';', '--decimal', ',');
    expect(said.code).toBe(0);
    expect(JSON.parse(said.stdout)).toEqual(JSON.parse(plain.stdout));
    const unsaid = await fit('eu', '--delimiter', ';');
    expectOneLineFailure(unsaid, /eu\.train\.csv:2: column "x0" holds "-?\d+,\d+(e-?\d+)?", not a finite number/);
  });

  it('when the solver does not converge, then stdout says converged false and stderr carries the warning', async () => {
    const result = await run(
      'fit',
      '--csv',
      'seed.train.csv',
      '--solver',
      'saga',
      '--max-iter',
      '2',
      '--random-state',
      '42',
    );
    expect(JSON.parse(result.stdout)).toMatchObject({ converged: false, n_iter: 2 });
    expect(result.stderr).toMatch(/warning: .*max_iter was reached/);
  });

  it('when the CSV is missing, then it fails with one line naming the file', async () => {
    expectOneLineFailure(await run('fit', '--csv', 'nope.csv'), /nope\.csv: cannot read \(no such file\)/);
  });

  it('when a cell is not numeric, then it fails naming line and column', async () => {
    await writeFile(join(dir, 'bad.csv'), 'a,b,y\n1,2,0\n3,oops,1\n');
    expectOneLineFailure(
      await run('fit', '--csv', 'bad.csv'),
      /bad\.csv:3: column "b" holds "oops", not a finite number\. mlops fit takes number columns only; a table with text columns .* is fitted with its preprocessing by mlops tune --csv\n$/,
    );
  });

  it('when the target has a single class, then it fails saying so', async () => {
    await writeFile(join(dir, 'one.csv'), 'a,y\n1,1\n2,1\n');
    expectOneLineFailure(await run('fit', '--csv', 'one.csv'), /only one class: 1/);
  });

  it('when the solver is unknown, then it fails listing the solvers', async () => {
    expectOneLineFailure(await run('fit', '--csv', 'seed.csv', '--solver', 'sgd'), /"sgd" is not one of liblinear/);
  });

  it('when an option is unknown, then it fails with a usage error', async () => {
    const result = await run('fit', '--csv', 'seed.csv', '--learning-rate', '3');
    expectOneLineFailure(result, /learning-rate/);
    expect(result.code).toBe(2);
  });

  async function fitDirectly(params: LogisticRegressionParams): Promise<LogisticRegression> {
    const train = await readNumericCsv(join(dir, 'seed.train.csv'), 'y');
    return new LogisticRegression(params).fit(train.X, train.y);
  }

  it('when --penalty l1 is asked of liblinear, then the coefficients are those of libs/ml, some exactly 0', async () => {
    const result = await run(
      'fit',
      ...['--csv', 'seed.train.csv', '--solver', 'liblinear', '--penalty', 'l1', '--C', '0.05', '--random-state', '7'],
    );
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    const model = await fitDirectly({ solver: 'liblinear', penalty: 'l1', C: 0.05, randomState: 7 });
    expect(out).toMatchObject({ solver: 'liblinear', penalty: 'l1', coef: Array.from(model.coef) });
    expect(out.coef.filter((c: number) => c === 0).length).toBeGreaterThan(0);
  });

  it('when elasticnet with --l1-ratio and --class-weight 0:1,1:3 is asked of saga, then libs/ml agrees', async () => {
    const result = await run(
      'fit',
      ...['--csv', 'seed.train.csv', '--solver', 'saga', '--penalty', 'elasticnet', '--l1-ratio', '0.5'],
      ...['--class-weight', '0:1,1:3', '--random-state', '0'],
    );
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    const params = { solver: 'saga', penalty: 'elasticnet', l1Ratio: 0.5, classWeight: { 0: 1, 1: 3 }, randomState: 0 };
    const model = await fitDirectly(params as LogisticRegressionParams);
    expect(out).toMatchObject({ penalty: 'elasticnet', l1_ratio: 0.5, class_weights: [1, 3] });
    expect(out.coef).toEqual(Array.from(model.coef));
    expect(out.intercept).toBe(model.intercept);
  });

  it('when --class-weight is balanced, then the applied weights are printed', async () => {
    const result = await run('fit', '--csv', 'seed.train.csv', '--class-weight', 'balanced');
    const model = await fitDirectly({ classWeight: 'balanced' });
    expect(JSON.parse(result.stdout)).toMatchObject({ class_weights: [...model.fitSummary.classWeights] });
  });

  it("when the solver cannot fit the penalty, then it fails with one line giving scikit-learn's rule", async () => {
    expectOneLineFailure(
      await run('fit', '--csv', 'seed.train.csv', '--penalty', 'l1'),
      /Solver lbfgs supports only 'l2' or None penalties, got l1 penalty/,
    );
  });

  it('when --penalty or --class-weight is malformed, then it refuses with usage exit code 2', async () => {
    const penalty = await run('fit', '--csv', 'seed.train.csv', '--penalty', 'ridge');
    expectOneLineFailure(penalty, /--penalty "ridge" is not one of l2, l1, elasticnet, none/);
    expect(penalty.code).toBe(2);
    const classWeight = await run('fit', '--csv', 'seed.train.csv', '--class-weight', '0=1');
    expectOneLineFailure(classWeight, /--class-weight "0=1" is not balanced, none or CLASS:WEIGHT pairs/);
    expect(classWeight.code).toBe(2);
    const label = await run('fit', '--csv', 'seed.train.csv', '--class-weight', 'yes:2');
    expectOneLineFailure(label, /"yes" is not a class value/);
  });
});

describe('mlops tune flags', () => {
  it('when penalty, l1_ratio and repeated class weights are given, then they become grid axes the trainer accepts', () => {
    const request = tuneRequestOf([
      ...['--C', '1', '--penalty', 'l1,elasticnet,none', '--l1-ratio', '0.2,0.8'],
      ...['--class-weight', 'balanced', '--class-weight', 'no:1,yes:3', '--class-weight', 'none'],
    ]);
    expect(request.grid).toEqual({
      C: [1],
      penalty: ['l1', 'elasticnet', null],
      l1_ratio: [0.2, 0.8],
      class_weight: ['balanced', { no: 1, yes: 3 }, null],
    });
    const parsed = parseTuneRequest(request);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const points = expandGrid(parsed.request.grid).map((t) => `${t.solver}/${t.penalty}/${t.l1_ratio ?? '-'}`);
    expect([...new Set(points)]).toEqual([
      'liblinear/l1/-',
      'lbfgs/null/-',
      'saga/l1/-',
      'saga/elasticnet/0.2',
      'saga/elasticnet/0.8',
      'saga/null/-',
    ]);
    expect(points).toHaveLength(6 * 3);
  });

  it('when split flags are given, then the request carries that split; a bad size is refused before connecting', async () => {
    expect(
      tuneRequestOf(['--tuning-id', 's', '--test-size', '0.3', '--split-random-state', '7', '--stratify']),
    ).toEqual({
      tuning_id: 's',
      split: { test_size: 0.3, random_state: 7, stratify: true },
    });
    expect(tuneRequestOf(['--tuning-id', 's', '--test-size', '150'])).toEqual({
      tuning_id: 's',
      split: { test_size: 150 },
    });
    expect(tuneRequestOf(['--tuning-id', 's'])).toEqual({ tuning_id: 's' });
    expect(tuneRequestOf(['--tuning-id', 's', '--test-size', '.25', '--split-random-state', '1e1'])).toEqual({
      tuning_id: 's',
      split: { test_size: 0.25, random_state: 10 },
    });
    const fraction = await run('tune', '--nats', 'nats://127.0.0.1:1', '--test-size', '1.5');
    expectOneLineFailure(fraction, /--test-size 1\.5: a fraction must lie in \(0, 1\)/);
    const seed = await run('tune', '--nats', 'nats://127.0.0.1:1', '--split-random-state', 'x');
    expectOneLineFailure(seed, /--split-random-state needs a number, got "x"/);
  });

  it('when --cv is given, then the request asks for that many folds; a non-integer is refused before connecting', async () => {
    expect(tuneRequestOf(['--tuning-id', 'cv', '--cv', '5'])).toEqual({ tuning_id: 'cv', cv: 5 });
    const result = await run('tune', '--nats', 'nats://127.0.0.1:1', '--cv', '2.5');
    expectOneLineFailure(result, /--cv needs an integer, got "2.5"/);
  });

  it('when --random is given, then the request draws that many candidates; --C may name a distribution', () => {
    const args = [
      '--tuning-id',
      'r',
      '--random',
      '20',
      '--seed',
      '7',
      '--C',
      'loguniform:0.001:100',
      '--solver',
      'lbfgs',
    ];
    const request = tuneRequestOf(args);
    expect(request).toEqual({
      tuning_id: 'r',
      grid: { solver: ['lbfgs'] },
      search: {
        type: 'random',
        n_trials: 20,
        random_state: 7,
        distributions: { C: { type: 'loguniform', low: 0.001, high: 100 } },
      },
    });
    expect(parseTuneRequest(request).ok).toBe(true);
    expect(tuneRequestOf(['--tuning-id', 'r', '--random', '5', '--C', '1,10'])).toEqual({
      tuning_id: 'r',
      grid: { C: [1, 10] },
      search: { type: 'random', n_trials: 5 },
    });
    expect(
      tuneRequestOf([
        '--tuning-id',
        'r',
        '--random',
        '5',
        '--penalty',
        'elasticnet',
        '--solver',
        'saga',
        '--l1-ratio',
        'uniform:0:1',
      ]).search,
    ).toEqual({ type: 'random', n_trials: 5, distributions: { l1_ratio: { type: 'uniform', loc: 0, scale: 1 } } });
  });

  it('when --top-k is given, then only the best k models are logged', () => {
    expect(tuneRequestOf(['--tuning-id', 'k', '--top-k', '5'])).toEqual({
      tuning_id: 'k',
      log_models: 'top_k',
      top_k: 5,
    });
  });

  it('when a distribution comes without --random or is malformed, then tune refuses before connecting', async () => {
    for (const [args, message] of [
      [['--C', 'loguniform:0.001:100'], /--C: a distribution needs a random search \(--random N\)/],
      [['--seed', '3'], /--seed is the seed of a random search: add --random N/],
      [
        ['--random', '5', '--C', 'loguniform:0.001'],
        /--C "loguniform:0.001" is not loguniform:LOW:HIGH with two numbers/,
      ],
      [
        ['--random', '5', '--l1-ratio', 'uniform:a:1'],
        /--l1-ratio "uniform:a:1" is not uniform:LOC:SCALE with two numbers/,
      ],
    ] as const) {
      const result = await run('tune', '--nats', 'nats://127.0.0.1:1', ...args);
      expectOneLineFailure(result, message);
    }
  });

  it('when the new flags are left out, then the request has no grid: the seed experiment', () => {
    expect(tuneRequestOf(['--tuning-id', 'seed'])).toEqual({ tuning_id: 'seed' });
  });

  it('when a penalty, l1_ratio or class weight is malformed, then tune refuses before connecting (exit code 2)', async () => {
    for (const [flag, value, message] of [
      ['--penalty', 'l1,ridge', /--penalty "ridge" is not one of l2, l1, elasticnet, none/],
      ['--l1-ratio', 'half', /--l1-ratio needs comma-separated numbers/],
      ['--class-weight', '0:1,1:-2', /--class-weight "0:1,1:-2" is not balanced, none or CLASS:WEIGHT pairs/],
      ['--class-weight', '0:1,0:2', /--class-weight "0:1,0:2"/],
    ] as const) {
      const result = await run('tune', '--nats', 'nats://127.0.0.1:1', flag, value);
      expectOneLineFailure(result, message);
      expect(result.code).toBe(2);
    }
  });
});

describe('mlops <command> --help', () => {
  it('when any command is asked for --help or -h, then it prints its own usage and exits 0 without connecting', async () => {
    for (const name of [
      'dataset',
      'fit',
      'demo',
      'up',
      'status',
      'tune',
      'predict',
      'models',
      'promote',
      'rollback',
      'monitor',
      'feedback',
      'retrain',
      'history',
      'traffic',
    ]) {
      for (const flag of ['--help', '-h']) {
        const result = await run(name, flag);
        expect(result.code, `${name} ${flag}: ${result.stderr}`).toBe(0);
        expect(result.stdout).toMatch(
          new RegExp(
            `^usage: mlops ${name === 'feedback' || name === 'promote' || name === 'rollback' || name === 'history' ? '\\w+' : name}`,
          ),
        );
        expect(result.stderr).toBe('');
      }
    }
    expect((await run('tune', '--help')).stdout).toContain('--top-k 5');
    expect((await run('feedback', '--help')).stdout).toContain('usage: mlops feedback');
  });
});

describe('mlops tune flags checked before anything is sent', () => {
  it('when --timeout is not a positive number, then tune refuses before connecting (exit code 2)', async () => {
    for (const [value, message] of [
      ['abc', /--timeout needs a number, got "abc"/],
      ['0x10', /--timeout needs a number, got "0x10"/],
      ['Infinity', /--timeout needs a finite number, got "Infinity"/],
      ['', /--timeout needs a number, got ""/],
      ['0', /--timeout needs a positive number of seconds, got "0"/],
      ['-3', /--timeout needs a positive number of seconds, got "-3"/],
    ] as const) {
      const result = await run('tune', '--nats', 'nats://127.0.0.1:1', `--timeout=${value}`);
      expectOneLineFailure(result, message);
      expect(result.code).toBe(2);
    }
  });

  it('when a table flag comes without --csv, then tune refuses instead of training the synthetic data set', async () => {
    for (const [args, message] of [
      [['--target', 'label'], /--target describe a CSV table: add --csv PATH/],
      [['--exclude', 'x1', '--numeric', 'x2'], /--exclude, --numeric describe a CSV table: add --csv PATH/],
    ] as const) {
      const result = await run('tune', '--nats', 'nats://127.0.0.1:1', ...args);
      expectOneLineFailure(result, message);
      expect(result.code).toBe(2);
    }
    expect(tuneRequestOf(['--tuning-id', 't', '--csv', 'a.csv', '--target', 'y'])).toEqual({
      tuning_id: 't',
      dataset: { kind: 'csv', path: 'a.csv', target: 'y' },
    });
  });

  it('when --delimiter and --decimal describe the CSV, then the request says so; a wrong value or a decimal comma between commas is refused', async () => {
    expect(tuneRequestOf(['--tuning-id', 't', '--csv', 'a.csv', '--delimiter', 'tab', '--decimal', ','])).toEqual({
      tuning_id: 't',
      dataset: { kind: 'csv', path: 'a.csv', delimiter: '\t', decimal: ',' },
    });
    expect(tuneRequestOf(['--tuning-id', 't', '--csv', 'a.csv', '--delimiter', ';']).dataset).toEqual({
      kind: 'csv',
      path: 'a.csv',
      delimiter: ';',
    });
    for (const [args, message] of [
      [['--csv', 'a.csv', '--delimiter', ':'], /--delimiter is one of ',', ';', tab, '\|', got ":"/],
      [
        ['--csv', 'a.csv', '--decimal', ','],
        /--decimal , needs another delimiter between cells, e\.g\. --delimiter ';'/,
      ],
      [['--delimiter', ';'], /--delimiter describe a CSV table: add --csv PATH/],
    ] as const) {
      const result = await run('tune', '--nats', 'nats://127.0.0.1:1', ...args);
      expectOneLineFailure(result, message);
      expect(result.code).toBe(2);
    }
    const features = await run('predict', '--url', 'http://127.0.0.1:1', '--features', '[[1]]', '--delimiter', ';');
    expectOneLineFailure(features, /--delimiter and --decimal describe a CSV: add --csv FILE/);
  });
});

describe('mlops demo', () => {
  it('when run, then it prints 15 rows and marks a best model at 0.865', async () => {
    const result = await run('demo');
    expect(result.code).toBe(0);
    expect(result.stdout.match(/^\s+[\d.]+\s+(liblinear|lbfgs|saga)\s/gm)).toHaveLength(15);
    expect(result.stdout).toMatch(/0\.865.*← best/);
  });
});

describe('mlops models, promote, rollback', () => {
  it('when promote lacks --version or --reason, then it refuses before connecting, naming what is missing', async () => {
    const noVersion = await run('promote', '--reason', 'x');
    expect(noVersion.code).toBe(2);
    expect(noVersion.stderr).toBe('mlops promote: promote needs --version N (see mlops models)\n');
    const noReason = await run('promote', '--version', '2');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toBe('mlops promote: promote needs --reason "why" (kept in the history)\n');
  });

  it('when no NATS server answers, then each command fails with one line saying the stack is not up', async () => {
    const env = ['--nats', 'nats://127.0.0.1:1'];
    for (const argv of [
      ['models', ...env],
      ['rollback', ...env],
      ['promote', '--version', '2', '--reason', 'x', ...env],
    ]) {
      const result = await run(...argv);
      expectOneLineFailure(result, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 .*: is the stack up\?/);
    }
  });

  it('when a version list comes back, then the table shows aliases, metric, gate and tuning, and the reasons below', () => {
    const table = modelsTable({
      status: 'ok',
      name: 'm',
      champion: '1',
      versions: [
        {
          version: '2',
          created_at: '2026-12-01T17:44:56.000Z',
          aliases: ['challenger'],
          metric: { name: 'accuracy', value: 0.8552238805970149 },
          gate_status: 'rejected',
          gate_reason: 'accuracy 0.855 vs champion v1 0.865: worse',
          tuning_id: 't-2',
        },
        {
          version: '1',
          created_at: '',
          aliases: ['champion'],
          metric: null,
          gate_status: null,
          gate_reason: null,
          tuning_id: null,
        },
      ],
    });
    expect(table.split('\n')).toEqual([
      'm (champion: version 1)',
      'version  aliases     metric           gate      tuning  created',
      '2        challenger  accuracy=0.8552  rejected  t-2     2026-12-01 17:44:56',
      '1        champion    -                -         -',
      'gate:',
      '  v2: accuracy 0.855 vs champion v1 0.865: worse',
    ]);
  });
});

/** The live performance of a version with 600 predictions and no label yet. */
const UNLABELLED = {
  predictions: 600,
  labelled: 0,
  label_coverage: 0,
  accuracy: null,
  precision: null,
  recall: null,
  f1: null,
  roc_auc: null,
  log_loss: null,
  label_latency_p50_s: null,
  label_latency_p95_s: null,
  training: null,
  degraded: false,
};

describe('mlops monitor, feedback', () => {
  it('when feedback lacks --csv, then it refuses before connecting', async () => {
    const result = await run('feedback');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('mlops feedback: feedback needs --csv FILE (columns prediction_id,label)\n');
  });

  it.each([
    ['a header without label', 'prediction_id,truth\na-0,1\n', /the header must name prediction_id and label/],
    [
      'an empty label',
      'prediction_id,label\na-0,1\na-1,\n',
      /labels\.csv:3: the label is empty \(nothing was sent\)\n/,
    ],
    ['an empty prediction id', 'prediction_id,label\na-0,1\n,1\n', /labels\.csv:3: prediction_id: a prediction id as/],
    ['no rows', 'prediction_id,label\n', /no labels below the header/],
    ['broken quoting', 'prediction_id,label\n"a-0,1\n', /labels\.csv: /],
  ])('when the CSV has %s, then it fails with one line before connecting', async (_, text, message) => {
    await writeFile(join(dir, 'labels.csv'), text);
    const result = await run('feedback', '--csv', 'labels.csv', '--nats', 'nats://127.0.0.1:1');
    expectOneLineFailure(result, message);
  });

  it('when several rows cannot be labels, then each is named (the first 10), and nothing is sent', async () => {
    const bad = Array.from({ length: 12 }, (_, i) => `bad id ${i},1`);
    await writeFile(join(dir, 'labels.csv'), `prediction_id,label\na-0,1\n${bad.join('\n')}\na-1,\n`);
    const result = await run('feedback', '--csv', 'labels.csv', '--nats', 'nats://127.0.0.1:1');
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^mlops feedback: labels\.csv:3: prediction_id: a prediction id as \/predict returned it/);
    expect(lines.slice(-2)).toEqual(['… and 3 more', '13 rows cannot be sent as labels: nothing was sent']);
    expect(result.stderr).not.toMatch(/cannot connect to NATS/);
  });

  it('when labels are many or long, then each batch holds at most 10,000 labels and 512 KB of JSON, in order', () => {
    const short = Array.from({ length: 25_000 }, (_, i) => ({ prediction_id: `p${i}-0`, label: 1 }));
    expect([...feedbackBatches(short)].map((b) => [b.start, b.batch.length])).toEqual([
      [0, 10_000],
      [10_000, 10_000],
      [20_000, 5_000],
    ]);
    const long = Array.from({ length: 3_000 }, (_, i) => ({ prediction_id: `${'x'.repeat(200)}${i}-0`, label: 'yes' }));
    const batches = [...feedbackBatches(long)];
    expect(batches.length).toBeGreaterThan(1);
    for (const { batch } of batches) expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThanOrEqual(512 * 1024);
    expect(batches.flatMap((b) => b.batch)).toEqual(long);
    expect(batches.map((b) => b.start)).toEqual(
      batches.map((_, i) => batches.slice(0, i).reduce((n, b) => n + b.batch.length, 0)),
    );
  });

  it('when the NATS URL holds credentials, then a failure to connect names the server without them', async () => {
    const result = await run('monitor', '--nats', 'nats://natsu:SEKRET@127.0.0.1:1');
    expectOneLineFailure(result, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 /);
    expect(result.stderr).not.toContain('SEKRET');
  });

  it('when no NATS server answers, then monitor and feedback fail with one line saying the stack is not up', async () => {
    await writeFile(join(dir, 'labels.csv'), 'prediction_id,label\na-0,1\n');
    for (const argv of [['monitor'], ['feedback', '--csv', 'labels.csv']]) {
      const result = await run(...argv, '--nats', 'nats://127.0.0.1:1');
      expectOneLineFailure(result, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 .*: is the stack up\?/);
    }
  });

  it('when a status comes back, then the report shows the window per column and the live performance', () => {
    const column = {
      name: 'x0',
      method: 'ks' as const,
      value: 1e-9,
      threshold: 0.0025,
      drifted: true,
      psi: 0.9,
      js_distance: 0.3,
      ks_statistic: 0.4,
      ks_p_value: 1e-9,
      wasserstein_normed: null,
      mean: 1,
      reference_mean: 0,
    };
    const live = {
      predictions: 1000,
      labelled: 300,
      label_coverage: 0.3,
      accuracy: 0.85,
      precision: 0.8,
      recall: 0.9,
      f1: 0.85,
      roc_auc: 0.9,
      log_loss: 0.4,
      label_latency_p50_s: 2,
      label_latency_p95_s: 9.5,
      training: { name: 'accuracy' as const, value: 0.865 },
      degraded: false,
    };
    const report = versionReport({
      model: 'm',
      version: '1',
      drift_unavailable: null,
      windows: 3,
      drift_since_window: 2,
      last_window: {
        model: 'm',
        version: '1',
        window: 2,
        rows: 500,
        sequences: [[1, 10]],
        opened_at: '2026-12-01T19:00:00.000Z',
        closed_at: '2026-12-01T19:00:05.000Z',
        closed_by: 'rows',
        reference_rows: 800,
        features: [column],
        prediction: null,
        dataset_drift: true,
        drift_share: 1,
        drifted_features: ['x0'],
        missing: [],
        performance: live,
      },
      performance: live,
      labels: { joined: 300, unknown: 1, expired: 0, duplicate: 2, other_model: 0 },
    });
    expect(report.split('\n')).toEqual([
      'm v1: 3 windows',
      '  window 2: 500 rows, closed by rows at 2026-12-01 19:00:05: DRIFT, 100 % of features drifted (drifting since window 2)',
      '    column  method  value    threshold  psi     js      mean    ref mean  drifted',
      '    x0      ks      1.00e-9  0.0025     0.9000  0.3000  1.0000  0.0000    YES',
      '  live performance on 300 labelled of 1000 predictions (coverage 30.0 %); training accuracy 0.8650',
      '    accuracy 0.8500, precision 0.8000, recall 0.9000, f1 0.8500, roc_auc 0.9000, log_loss 0.4000',
      '    label latency p50 2.0 s, p95 9.5 s',
      '  labels: 300 joined',
    ]);
  });

  it("when the monitor counts refused labels (another client's too), then they are said once for all versions, not per version", () => {
    const status: VersionStatus = {
      model: 'm',
      version: '1',
      drift_unavailable: null,
      windows: 0,
      drift_since_window: null,
      last_window: null,
      performance: UNLABELLED,
      labels: { joined: 4, unknown: 1, expired: 0, duplicate: 0, other_model: 0, other_client: 3 },
    };
    const report = versionReport(status);
    expect(report.split('\n').at(-1)).toBe('  labels: 4 joined');
    expect(refusedLabelsLine([{ ...status, labels: { ...status.labels, joined: 9 } }, status])).toBe(
      'labels refused since the monitor started (all versions): 1 unknown, 0 expired, 0 repeated, 0 other model, 3 other client',
    );
    expect(refusedLabelsLine([]), 'no version: no line').toBe('');
  });

  it("when a table model's window is shown, then raw columns list their missing cells and unseen categories", () => {
    const statistics = { psi: 0.5, js_distance: 0.2, ks_statistic: null, ks_p_value: null, wasserstein_normed: null };
    const plan = {
      name: 'plan',
      kind: 'categorical' as const,
      method: 'chisquare' as const,
      value: 0,
      threshold: 0.025,
    };
    const live = UNLABELLED;
    const report = versionReport({
      model: 'churn',
      version: '2',
      drift_unavailable: null,
      windows: 1,
      drift_since_window: 0,
      last_window: {
        model: 'churn',
        version: '2',
        window: 0,
        rows: 600,
        sequences: [[1, 3]],
        opened_at: '2026-12-02T04:00:00.000Z',
        closed_at: '2026-12-02T04:00:05.000Z',
        closed_by: 'rows',
        reference_rows: 1250,
        features: [{ ...plan, ...statistics, drifted: true, mean: null, reference_mean: null, unseen: 12 }],
        prediction: null,
        dataset_drift: true,
        drift_share: 1,
        drifted_features: ['plan'],
        missing: [
          { name: 'tenure', share: 1, reference_share: 0.05 },
          { name: 'plan', share: 0.1, reference_share: 0.02 },
        ],
        performance: live,
      },
      performance: live,
      labels: { joined: 0, unknown: 0, expired: 0, duplicate: 0, other_model: 0 },
    });
    expect(report.split('\n').slice(1, 5)).toEqual([
      '  window 0: 600 rows, closed by rows at 2026-12-02 04:00:05: DRIFT, 100 % of compared columns drifted (drifting since window 0)',
      '    column  method     value   threshold  psi     js      mean  ref mean  drifted  missing  ref missing  unseen rows',
      '    plan    chisquare  0.0000  0.0250     0.5000  0.2000  -     -         YES      10.0 %   2.0 %        12',
      '    tenure  no value                                                               100.0 %  5.0 %',
    ]);
  });
});

describe('mlops retrain', () => {
  it('when no NATS server answers, then it fails with one line saying the stack is not up', async () => {
    const result = await run('retrain', '--reason', 'new season', '--nats', 'nats://127.0.0.1:1');
    expectOneLineFailure(result, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 .*: is the stack up\?/);
  });

  it('when an unknown flag is given, then it refuses with usage exit code 2', async () => {
    const result = await run('retrain', '--force');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mlops retrain: Unknown option '--force'/);
  });

  it('when a retrain started, then the report names its ids, data set, coverage and window', () => {
    const report = retrainReport({
      retrain_id: 'm:3:1',
      model: 'm',
      version: '3',
      trigger: 'manual',
      detail: 'asked by ana: new season',
      tuning_id: 'retrain-m-v3-1-0123abcd',
      dataset: {
        path: 'retrain/m-v3-0123abcd4567.csv',
        sha256: 'ab'.repeat(32),
        rows: 812,
        positives: 400,
        predictions: 2000,
        window: { from: '2026-12-02T06:00:00.000Z', to: '2026-12-02T06:30:00.000Z' },
      },
      data: 'recent',
      requested_at: '2026-12-02T06:31:00.000Z',
    });
    expect(report.split('\n')).toEqual([
      'retrain m:3:1 requested (manual: asked by ana: new season)',
      '  tuning:   retrain-m-v3-1-0123abcd',
      '  data set: retrain/m-v3-0123abcd4567.csv, 812 labelled rows (41 % of 2000 predictions labelled), 400 of class 1',
      '  window:   predictions from 2026-12-02T06:00:00.000Z to 2026-12-02T06:30:00.000Z',
      `  sha256:   ${'ab'.repeat(32)}`,
      '  follow it with: mlops models (the gate verdict) and mlops monitor',
    ]);
  });
});

describe('mlops history', () => {
  const retrain = {
    retrain_id: 'm:1:1',
    model: 'm',
    version: '1',
    trigger: 'drift' as const,
    detail: 'dataset drift in 3 consecutive windows (2–4)',
    tuning_id: 'retrain-m-v1-1-0123abcd',
    dataset: {
      path: 'retrain/m-v1-0123abcd4567.csv',
      sha256: 'cd'.repeat(32),
      rows: 1000,
      positives: 500,
      predictions: 1500,
      window: { from: '2026-12-02T06:00:00.000Z', to: '2026-12-02T06:05:00.000Z' },
    },
    data: 'recent' as const,
    requested_at: '2026-12-02T06:06:00.000Z',
  };

  it('when --limit is not a whole number from 1 to 1000, then it refuses with usage exit code 2', async () => {
    const result = await run('history', '--limit', '0');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('mlops history: --limit must be a whole number from 1 to 1000, got 0\n');
  });

  it('when a retrain was promoted, then its chain runs from the trigger to the champion move', () => {
    const outcome = {
      verdict: 'promoted' as const,
      version: '2',
      run_id: 'abc123',
      champion_version: '1',
      reason: 'accuracy 0.89 vs champion v1 0.61',
      at: '2026-12-02T06:07:00.000Z',
    };
    expect(historyEntry({ retrain, outcome }).split('\n')).toEqual([
      '2026-12-02T06:06:00.000Z  retrain m:1:1 of m v1 (drift: dataset drift in 3 consecutive windows (2–4))',
      '  data set  retrain/m-v1-0123abcd4567.csv: 1000 labelled rows of 1500 predictions, 2026-12-02T06:00:00.000Z → 2026-12-02T06:05:00.000Z',
      '  tuning    retrain-m-v1-1-0123abcd',
      '  version   2 (run abc123)',
      '  gate      promoted at 2026-12-02T06:07:00.000Z: accuracy 0.89 vs champion v1 0.61',
      '  champion  v1 → v2',
    ]);
  });

  it('when a table retrain wrote cells of unseen categories as missing, then the data set line counts them', () => {
    const table = { ...retrain, dataset: { ...retrain.dataset, unseen_cells: 7 } };
    expect(historyEntry({ retrain: table, outcome: null }).split('\n')[1]).toBe(
      '  data set  retrain/m-v1-0123abcd4567.csv: 1000 labelled rows of 1500 predictions, 2026-12-02T06:00:00.000Z → 2026-12-02T06:05:00.000Z (7 cells of unseen categories written as missing)',
    );
  });

  it('when a retrain was rejected or is still running, then the chain says the champion stays or the verdict is pending', () => {
    const outcome = {
      verdict: 'rejected' as const,
      version: '2',
      run_id: null,
      champion_version: '1',
      reason: 'not better',
      at: '2026-12-02T06:07:00.000Z',
    };
    expect(historyEntry({ retrain, outcome }).split('\n').slice(3)).toEqual([
      '  version   2',
      '  gate      rejected at 2026-12-02T06:07:00.000Z: not better',
      '  champion  stays v1 (v2 is the challenger)',
    ]);
    const failed = { ...outcome, verdict: 'failed' as const, version: null, champion_version: null, reason: 'refused' };
    expect(historyEntry({ retrain, outcome: failed }).split('\n').at(-1)).toBe(
      '  verdict   failed at 2026-12-02T06:07:00.000Z: refused',
    );
    expect(historyEntry({ retrain, outcome: null }).split('\n').at(-1)).toBe(
      '  verdict   pending (the tuning runs, or its outcome has not reached the monitor)',
    );
  });
});

describe('addresses recorded by mlops up', () => {
  it('when neither --nats nor NATS_URL is given, then NATS commands use the address in data/stack.json', async () => {
    await mkdir(join(dir, 'data'), { recursive: true });
    const endpoints = { nats: 'nats://127.0.0.1:1', mlflow: 'http://127.0.0.1:2', predictor: 'http://127.0.0.1:3' };
    const state = {
      format: 1,
      pid: 1,
      state: 'running',
      started_at: '2026-01-02T03:04:05.000Z',
      updated_at: '2026-01-02T03:05:00.000Z',
      data_dir: join(dir, 'data'),
      endpoints,
      processes: [],
    };
    await writeFile(join(dir, 'data', 'stack.json'), JSON.stringify(state));
    const monitor = await run('monitor');
    expect(monitor.stderr).toMatch(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 /);
    const predict = await run('predict', '--features', '[[1]]');
    expect(predict.stderr).toMatch(/http:\/\/127\.0\.0\.1:3\/predict/);
    const named = await run('monitor', '--nats', 'nats://127.0.0.1:4');
    expect(named.stderr).toMatch(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:4 /);
    await writeFile(join(dir, 'data', 'stack.json'), JSON.stringify({ ...state, state: 'stopped' }));
    const stopped = await run('monitor');
    expect(stopped.code).not.toBe(0);
    expect(stopped.stderr, 'a stopped stack is not asked').not.toContain('nats://127.0.0.1:1 ');
  });
});

describe('mlops traffic', () => {
  it.each([
    [['--rows', '0'], '--rows must be a whole number from 1 to 1000000, got 0'],
    [['--features', '21'], '--features must be a whole number from 0 to 20, got 21'],
    [['--noise', '1.5'], '--noise must be a probability from 0 to 1, got 1.5'],
    [['--rate', '0'], '--rate must be at least 0.01 rows a second, got 0'],
    [['--rate', '1e-9'], '--rate must be at least 0.01 rows a second, got 1e-9'],
    [['--shift', 'up'], '--shift must be a number, got up'],
    [['--noise', '0.2'], '--noise flips the labels --label sends: add --label'],
    [['--shift', '3', '--features', '0'], '--shift moves the first --features columns: --features 0 moves none'],
  ])('when %j, then it refuses with usage exit code 2 before sending anything', async (flags, message) => {
    const result = await run('traffic', ...flags, '--url', 'http://127.0.0.1:1');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`mlops traffic: ${message}\n`);
  });

  it('when the predictor is not running, then it fails with one line saying so', async () => {
    const closed = await listenSilently();
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve)); // the port was free a moment ago: nothing listens now
    const result = await run('traffic', '--rows', '10', '--url', `http://127.0.0.1:${port}`);
    expectOneLineFailure(
      result,
      new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}/predict .*: is the predictor running\\?`),
    );
  });

  it('when pipeline events arrive, then each becomes one line, and other models are left out', () => {
    const envelope = (data: object) => ({ data }) as never;
    expect(
      eventLine(
        'drift.detected',
        envelope({ model: 'm', version: '1', window: 2, drifted_features: ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'] }),
        'm',
      ),
    ).toBe('drift.detected    v1 window 2: 6 features drifted (x0, x1, x2, x3, x4, …)');
    expect(
      eventLine(
        'model.registered',
        envelope({ name: 'm', version: '2', previous_version: '1', reason: 'accuracy 0.89 vs 0.61' }),
        'm',
      ),
    ).toBe('model.registered  v2 is champion (was v1): accuracy 0.89 vs 0.61');
    expect(
      eventLine('drift.resolved', envelope({ model: 'm', version: '1', window: 5, superseded_by: '2' }), 'm'),
    ).toBe('drift.resolved    v1 (superseded by v2)');
    expect(eventLine('drift.detected', envelope({ model: 'other', version: '1' }), 'm')).toBeUndefined();
    const heldBack = { name: 'm', version: '1', champion_version: '0', reason: 'first champion, but …' };
    expect(eventLine('model.rejected', envelope(heldBack), 'm')).toBe(
      'model.rejected    v1 kept out, no champion yet: first champion, but …',
    );
    expect(eventLine('model.rejected', envelope({ ...heldBack, version: '3', champion_version: '2' }), 'm')).toBe(
      'model.rejected    v3 kept out, v2 stays champion: first champion, but …',
    );
  });
});

describe('bin/mlops.js', () => {
  it("when Node.js is older than 24, then it says so and how to run the project's Node, before loading anything", async () => {
    const { nodeTooOld } = (await import(new URL('../bin/node-check.js', import.meta.url).href)) as {
      nodeTooOld: (version: string, execPath: string) => string | undefined;
    };
    expect(nodeTooOld('v20.20.2', '/usr/bin/node')).toBe(
      "mlops needs Node.js 24 or newer; this is v20.20.2 (/usr/bin/node). Run it as `npx mlops` from the project after `source scripts/node-env.sh` (bash scripts/setup.sh installs the project's Node)",
    );
    expect(nodeTooOld('v24.0.0', '/x/node')).toBeUndefined();
    expect(nodeTooOld(process.version, process.execPath)).toBeUndefined();
  });

  it('when run as a process with bad input, then it exits non-zero with one line and no stack trace', async () => {
    const bin = new URL('../bin/mlops.js', import.meta.url).pathname;
    const error = await promisify(execFile)(process.execPath, [bin, 'fit', '--csv', '/nonexistent.csv']).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(error).toMatchObject({ code: 1 });
    expect((error as { stderr: string }).stderr.trim()).toBe('mlops fit: /nonexistent.csv: cannot read (no such file)');
  });

  it('when the NATS server accepts and never answers, then the process exits 1 soon after the error (no straggler)', async () => {
    const silent = await listenSilently();
    try {
      const bin = new URL('../bin/mlops.js', import.meta.url).pathname;
      const started = Date.now();
      const nats = `nats://127.0.0.1:${(silent.address() as { port: number }).port}`;
      const error = await promisify(execFile)(process.execPath, [bin, 'models', '--nats', nats], {
        timeout: 30_000,
      }).catch((err: { code: number; stderr: string; killed: boolean }) => err);
      expect(error).toMatchObject({ code: 1, killed: false });
      expect((error as { stderr: string }).stderr).toMatch(/cannot connect to NATS at .*: is the stack up\?/);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      silent.close();
    }
  }, 40_000);
});

/** A TCP server that accepts connections and never writes: a hung peer. */
async function listenSilently(): Promise<Server> {
  const sockets: import('node:net').Socket[] = [];
  const server = createTcpServer((socket) => sockets.push(socket));
  server.on('close', () => {
    for (const socket of sockets) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = server.close.bind(server);
  server.close = ((callback?: (err?: Error) => void) => {
    for (const socket of sockets) socket.destroy();
    return close(callback);
  }) as Server['close'];
  return server;
}

describe('mlops: bad input said in one line before anything is sent', () => {
  it('when the output file cannot be written, then dataset says why in one line (exit 1), no stack', async () => {
    for (const [out, reason] of [
      ['missing/dir/a.csv', /missing\/dir\/a\.csv: cannot write \(its folder does not exist\)/],
      ['.', /: cannot write \(is a directory\)/],
    ] as const) {
      const result = await run('dataset', 'make-classification', '--random-state', '1', '--out', out);
      expectOneLineFailure(result, reason);
      expect(result.code).toBe(1);
    }
  });

  it('when a number is out of range, then the flag is named with the rule (exit 2); a huge data set is refused up front', async () => {
    for (const [args, message] of [
      [['make-classification', '--random-state', '1', '--samples=-5'], /--samples -5: must be an integer >= 1/],
      [['customers', '--rows=-3'], /--rows -3: /],
      [['make-classification', '--random-state', '1', '--samples', '1e12'], /at most 10,000,000/],
    ] as const) {
      const result = await run('dataset', ...args, '--out', 'a.csv');
      expectOneLineFailure(result, message);
      expect(result.code).toBe(2);
    }
    expect((await run('dataset', 'make-classification', '--random-state', '1', '--out', 'd.csv')).code).toBe(0);
    const fit = await run('fit', '--csv', 'd.csv', '--penalty', 'elasticnet', '--solver', 'saga');
    expectOneLineFailure(fit, /mlops fit: --l1-ratio is required here: l1_ratio must be specified/);
    expect(fit.code).toBe(2);
  });

  it('when --url is not an http(s) URL or carries credentials, then predict refuses it (exit 2) without echoing them', async () => {
    for (const [url, message] of [
      [
        'http://u:s3cret@127.0.0.1:1',
        /--url carries credentials: give the predictor a bearer token in PREDICTOR_TOKEN/,
      ],
      ['garbage', /--url "garbage" is not a URL/],
      ['ftp://127.0.0.1:1', /--url must be http:\/\/ or https:\/\//],
      ['u:s3cret@host', /is not a URL|must be http/],
    ] as const) {
      const result = await run('predict', '--features', '[[1]]', '--url', url);
      expectOneLineFailure(result, message);
      expect(result.code).toBe(2);
      expect(result.stderr).not.toContain('s3cret');
    }
  });

  it('when the predictor accepts and never answers, then the call gives up with one line instead of hanging', async () => {
    const silent = await listenSilently();
    try {
      const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/predict`;
      await expect(callPredictor(url, {}, { features: [[1]] }, 300)).rejects.toThrow(
        /no answer from .* within 0\.3 s: is the predictor running\?/,
      );
    } finally {
      silent.close();
    }
  });

  it('when PREDICTOR_TOKEN is set, then the predictor is called with it as a bearer token', async () => {
    const { createServer } = await import('node:http');
    let seen: string | undefined;
    const server = createServer((req, res) => {
      seen = req.headers.authorization;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/predict`;
      await callPredictor(url, { PREDICTOR_TOKEN: 'tok-1' }, { features: [[1]] });
      expect(seen).toBe('Bearer tok-1');
    } finally {
      server.close();
    }
  });

  it('when tune flags break the request schema, then tune names every problem before connecting (exit 2)', async () => {
    for (const [args, message] of [
      [['--solver', 'foo'], /grid\.solver\.0: Invalid option/],
      [['--metric', 'foo'], /selection_metric: Invalid option/],
      [['--cv', '1'], /cv: cv must be at least 2 folds/],
      [['--C=-1'], /grid\.C\.0: Too small/],
      [['--top-k', '0'], /top_k: Too small/],
      [['--tuning-id', 'bad!id'], /tuning_id: 1-64 characters/],
    ] as const) {
      const result = await run('tune', '--nats', 'nats://127.0.0.1:1', ...args);
      expectOneLineFailure(result, message);
      expect(result.code).toBe(2);
      expect(result.stderr).not.toMatch(/cannot connect/);
    }
  });

  it('when --nats is malformed, then the command says so naming --nats in one line (exit 2), without credentials', async () => {
    for (const [nats, message] of [
      ['garbage ::', /--nats: "garbage ::" is not a server address/],
      ['', /--nats: is empty/],
      ['ws://x:1', /--nats: ws:\/\/ is not supported/],
      ['nats://u:s3cret@x:0', /--nats: "x:0" is not a host\[:port\]/],
    ] as const) {
      for (const command of ['models', 'status']) {
        const result = await run(command, `--nats=${nats}`);
        expectOneLineFailure(result, message);
        expect(result.code).toBe(2);
        expect(result.stderr).not.toContain('s3cret');
      }
    }
  });

  it('when a labels CSV has a ragged row, a repeated header column or one prediction labelled two ways, then nothing is sent', async () => {
    for (const [text, message] of [
      ['prediction_id,label\nk3J9x0a-0,1,extra\n', /labels\.csv:2: 3 cells where the header has 2/],
      ['prediction_id,label\nk3J9x0a-0,1\nk3J9x0a-0,0\n', /labels\.csv:3: label 0 for a prediction line 2 labels 1/],
      ['prediction_id,label,label\nk3J9x0a-0,1,1\n', /labels\.csv: the header names column "label" twice/],
    ] as const) {
      await writeFile(join(dir, 'labels.csv'), text);
      const result = await run('feedback', '--csv', 'labels.csv', '--nats', 'nats://127.0.0.1:1');
      expectOneLineFailure(result, message);
      expect(result.stderr).not.toMatch(/cannot connect/);
    }
  });

  it('when a flag means nothing without another, or a command gets options it has none of, then it is refused (exit 2)', async () => {
    for (const [args, message] of [
      [
        ['dataset', 'make-classification', '--random-state', '1', '--out', 's.csv', '--stratify'],
        /add --split FRACTION/,
      ],
      [['traffic', '--wait', '5'], /--wait and --nats are for --watch: add --watch/],
      [['demo', '--bogus'], /demo takes no options, got --bogus/],
    ] as const) {
      const result = await run(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    const dataset = await run('dataset');
    expect([dataset.code, dataset.stderr.split('\n')[0]]).toEqual([
      2,
      'mlops dataset: dataset needs a kind first: make-classification or customers',
    ]);
  });

  it('when --split is bad, then nothing is written', async () => {
    const args = ['make-classification', '--random-state', '1', '--out', 's.csv', '--split=-1'];
    const result = await run('dataset', ...args);
    expectOneLineFailure(result, /--split -1: must be a fraction in \(0, 1\)/);
    await expect(readFile(join(dir, 's.csv'))).rejects.toThrow(/ENOENT/);
  });

  it("when mlops gets no command, then the overview goes to stderr (exit 2); mlops help tune prints tune's usage", async () => {
    const bare = await runCli([], { cwd: dir });
    expect([bare.code, bare.stdout, bare.stderr.startsWith('usage: mlops <command>')]).toEqual([2, '', true]);
    const help = await run('help', 'tune');
    expect([help.code, help.stdout.split('\n')[0]?.startsWith('usage: mlops tune')]).toEqual([0, true]);
  });

  it('when a split flag is bad, then the flag the user typed is named with its value, not a derived size', async () => {
    const base = ['dataset', 'make-classification', '--random-state', '5', '--out', 's.csv'];
    for (const [args, message] of [
      [['--split', '0.2', '--split-random-state=-1'], /^mlops dataset: --split-random-state -1: /],
      [['--split', '0.999'], /^mlops dataset: --split 0\.999: /],
      [['--split', '0.99', '--stratify'], /^mlops dataset: --split 0\.99: /],
    ] as const) {
      const result = await run(...base, ...args);
      expectOneLineFailure(result, message);
      expect(result.code).toBe(2);
    }
  });

  it('when a labels row ends in empty cells past the header (a trailing comma), then it is taken as it is', async () => {
    await writeFile(join(dir, 'labels.csv'), 'prediction_id,label\r\nk3J9x0a-0,1,\r\n');
    const result = await run('feedback', '--csv', 'labels.csv', '--nats', 'nats://127.0.0.1:1');
    expectOneLineFailure(result, /cannot connect to NATS/); // checked, then sent: the stack is not up
  });

  it('when NATS_URL carries credentials and NATS_TOKEN is set too, then the CLI refuses as the services do', async () => {
    const result = await runCli(['models'], {
      cwd: dir,
      env: { NATS_URL: 'nats://svc:s3cret@127.0.0.1:1', NATS_TOKEN: 't' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/NATS_URL: carries credentials beside NATS_USER, NATS_TOKEN or NATS_CREDS/);
    expect(result.stderr).not.toContain('s3cret');
  });
});

describe('mlops predict: batches when the predictor takes fewer rows (its error path, against a stand-in HTTP server)', () => {
  /**
   * Answers GET /model and POST /predict as the predictor does, refusing more than `maxRows` rows with 413; the
   * version it answers with is `versionOf` the number of requests it has answered (1 for the first).
   */
  async function standIn(maxRows: number, versionOf: (answered: number) => string) {
    const sizes: number[] = [];
    let answered = 0;
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        if (req.url === '/model') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ feature_names: ['a', 'b'] }));
          return;
        }
        const rows = (JSON.parse(body) as { features: number[][] }).features;
        sizes.push(rows.length);
        if (rows.length > maxRows) {
          res.writeHead(413, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ error: { code: 'TOO_MANY_ROWS', message: `${rows.length} rows, at most ${maxRows}` } }),
          );
          return;
        }
        answered++;
        const answer = {
          model: { name: 'm', version: versionOf(answered) },
          predictions: rows.map((r) => (r[0]! > 0 ? 1 : 0)),
          probabilities: rows.map((r) => r[0]! / 100),
          prediction_ids: rows.map((r) => `id-${r[0]}`),
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return { url, sizes, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  const csvOf = (count: number) => `a,b\n${Array.from({ length: count }, (_, i) => `${i + 1},${-i}`).join('\n')}\n`;

  it('when a batch is refused as too large (413), then it is sent again in halves and the answer keeps row order', async () => {
    const server = await standIn(3, () => '1');
    try {
      await writeFile(join(dir, 'ten.csv'), csvOf(10));
      const result = await run('predict', '--url', server.url, '--csv', 'ten.csv');
      expect(result.code, result.stderr).toBe(0);
      const answer = JSON.parse(result.stdout) as { prediction_ids: string[]; probabilities: number[] };
      expect(answer.prediction_ids).toEqual(Array.from({ length: 10 }, (_, i) => `id-${i + 1}`));
      expect(answer.probabilities).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) / 100));
      expect(Math.max(...server.sizes.slice(1))).toBeLessThanOrEqual(10);
      expect(server.sizes.filter((n) => n <= 3).reduce((a, b) => a + b, 0)).toBe(10);
    } finally {
      await server.close();
    }
  });

  it('when the served version changes between batches, then it stops at once naming the rows each version scored', async () => {
    const server = await standIn(4, (answered) => (answered <= 2 ? '1' : '2'));
    try {
      await writeFile(join(dir, 'twenty.csv'), csvOf(20));
      const result = await run('predict', '--url', server.url, '--csv', 'twenty.csv');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /the served model changed while the rows were sent: rows 0–\d+ were scored by m v1, rows from \d+ by m v2; nothing after row \d+ was sent/,
      );
      const scored = server.sizes.filter((n) => n <= 4).reduce((a, b) => a + b, 0);
      expect(scored).toBeLessThan(20);
    } finally {
      await server.close();
    }
  });
});

describe('mlops: repeated flags', () => {
  it('when a list flag of tune is repeated, then its values add up, as with commas', () => {
    const request = tuneRequestOf([
      ...['--C', '1', '--C', '2,3', '--solver', 'lbfgs', '--solver', 'saga', '--penalty', 'l2', '--penalty', 'none'],
      ...['--csv', 't.csv', '--exclude', 'id', '--exclude', 'name'],
    ]);
    expect(request.grid).toMatchObject({ C: [1, 2, 3], solver: ['lbfgs', 'saga'], penalty: ['l2', null] });
    expect(request.dataset).toMatchObject({ columns: { exclude: ['id', 'name'] } });
  });

  it.each([
    [['tune', '--metric', 'f1', '--metric', 'accuracy'], 'mlops tune: --metric is given more than once: give it once'],
    [['tune', '--timeout=5', '--timeout', '9'], 'mlops tune: --timeout is given more than once: give it once'],
    [['tune', '--stratify', '--stratify'], 'mlops tune: --stratify is given more than once: give it once'],
    [
      ['tune', '--random', '5', '--C', 'loguniform:0.01:10', '--C', '1'],
      'mlops tune: --C: a distribution is given alone, not repeated or with other values',
    ],
    [['monitor', '--name', 'a', '--name', 'b'], 'mlops monitor: --name is given more than once: give it once'],
    [['models', '--limit', '1', '--limit', '2'], 'mlops models: --limit is given more than once: give it once'],
    [['fit', '--csv', 'a.csv', '--csv', 'b.csv'], 'mlops fit: --csv is given more than once: give it once'],
  ])('when %j repeats a single-valued flag, then it is refused in one line naming it (exit 2)', async (argv, line) => {
    const result = await run(...argv, ...(argv[0] === 'fit' ? [] : ['--nats', 'nats://127.0.0.1:1']));
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: `${line}\n` });
  });
});

describe('mlops tune: experiment, CSV path and how to follow a tuning', () => {
  it('when --model-name comes without --experiment, then the experiment is named after the model', () => {
    expect(tuneRequestOf(['--model-name', 'gridtest'])).toMatchObject({
      experiment_name: 'gridtest',
      registered_model_name: 'gridtest',
    });
    expect(tuneRequestOf(['--model-name', 'gridtest', '--experiment', 'e'])).toMatchObject({ experiment_name: 'e' });
    expect(tuneRequestOf([]).experiment_name).toBeUndefined();
  });

  it('when --model-name holds both quote characters, then tune refuses before connecting, saying MLflow cannot quote it', async () => {
    const result = await run('tune', '--nats', 'nats://127.0.0.1:1', '--model-name', 'a\'b"c');
    expectOneLineFailure(result, /registered_model_name: must not contain both ' and " \(MLflow's search filters/);
    expect(result.code).toBe(2);
  });

  it('when the recorded stack holds the trainer directory, then a path from here inside it is sent relative to it', async () => {
    const datasets = join(dir, 'stack', 'datasets');
    await mkdir(join(datasets, 'sub'), { recursive: true });
    await writeFile(join(datasets, 'sub', 'customers.csv'), 'x,y\n1,0\n');
    await writeFile(join(dir, 'outside.csv'), 'x,y\n1,0\n');
    await writeStackState(join(dir, 'stack'), 'running');
    const io = { cwd: dir, env: { MLOPS_DATA_DIR: 'stack' } };
    expect(await trainerDatasetPath(io, 'stack/datasets/sub/customers.csv')).toBe('sub/customers.csv');
    expect(await trainerDatasetPath(io, join(datasets, 'sub', 'customers.csv')), 'absolute').toBe('sub/customers.csv');
    expect(await trainerDatasetPath(io, 'sub/customers.csv'), 'already relative to the trainer').toBe(
      'sub/customers.csv',
    );
    expect(await trainerDatasetPath(io, 'missing.csv'), 'left to the trainer to refuse').toBe('missing.csv');
    expect(await trainerDatasetPath({ cwd: dir, env: {} }, 'stack/datasets/sub/customers.csv'), 'no stack').toBe(
      'stack/datasets/sub/customers.csv',
    );
    // Only for the recorded stack the tuning goes to, while its mlops up runs.
    const inside = 'stack/datasets/sub/customers.csv';
    expect(await trainerDatasetPath(io, inside, 'nats://127.0.0.1:1'), 'its own NATS').toBe('sub/customers.csv');
    expect(await trainerDatasetPath(io, inside, 'nats://other:4222'), 'another stack').toBe(inside);
    const otherEnv = { cwd: dir, env: { MLOPS_DATA_DIR: 'stack', NATS_URL: 'nats://other:4222' } };
    expect(await trainerDatasetPath(otherEnv, inside), 'NATS_URL of another stack').toBe(inside);
    await writeStackState(join(dir, 'gone'), 'running', 2 ** 22 + 12_345); // beyond any pid_max: no such process
    await mkdir(join(dir, 'gone', 'datasets'), { recursive: true });
    await writeFile(join(dir, 'gone', 'datasets', 'c.csv'), 'x,y\n1,0\n');
    const gone = { cwd: dir, env: { MLOPS_DATA_DIR: 'gone' } };
    expect(await trainerDatasetPath(gone, 'gone/datasets/c.csv'), 'mlops up gone').toBe('gone/datasets/c.csv');
    const refused = await runCli(['tune', '--csv', 'outside.csv'], { cwd: dir, env: { MLOPS_DATA_DIR: 'stack' } });
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toBe(
      `mlops tune: --csv outside.csv: the trainer reads CSVs only inside its data directory ${await realpath(datasets)}: copy it there\n`,
    );
  });

  it('when a tuning is to be followed, then the command repeats the request under its id, quoted for a shell', () => {
    expect(followCommand(['--C', '1,10', '--tuning-id', 'old', '--csv', "my file's.csv"], 'cli-1')).toBe(
      "mlops tune --C 1,10 --csv 'my file'\\''s.csv' --tuning-id cli-1",
    );
    expect(followCommand(['--tuning-id=old', '--solver', 'saga'], 'old')).toBe(
      'mlops tune --solver saga --tuning-id old',
    );
    // Credentials in a NATS URL are never printed (NATS_USER / NATS_PASSWORD give them again).
    expect(followCommand(['--nats', 'nats://u:s3cret@h:4222,nats://h2:4222'], 'x')).toBe(
      'mlops tune --nats nats://h:4222,nats://h2:4222 --tuning-id x',
    );
    expect(followCommand(['--nats=tls://tok@h:4222'], 'x')).toBe('mlops tune --nats=tls://h:4222 --tuning-id x');
  });
});

describe('MLOPS_DATA_DIR: the data directory of a stack started with mlops up --data-dir', () => {
  it('when it is set, then NATS and predictor commands use the addresses in its stack.json', async () => {
    await writeStackState(join(dir, 'elsewhere'), 'running');
    const env = { MLOPS_DATA_DIR: 'elsewhere' };
    const monitor = await runCli(['monitor'], { cwd: dir, env });
    expect(monitor.stderr).toMatch(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 /);
    const predict = await runCli(['predict', '--features', '[[1]]'], { cwd: dir, env });
    expect(predict.stderr).toMatch(/http:\/\/127\.0\.0\.1:3\/predict/);
    const absolute = await runCli(['models'], { cwd: tmpdir(), env: { MLOPS_DATA_DIR: join(dir, 'elsewhere') } });
    expect(absolute.stderr).toMatch(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 /);
  });

  it('when it is set, then down and status look there unless --data-dir says otherwise', async () => {
    const env = { MLOPS_DATA_DIR: 'elsewhere' };
    const down = await runCli(['down'], { cwd: dir, env });
    expect(down.stdout).toBe('no stack running in elsewhere (no stack.json there)\n');
    const named = await runCli(['down', '--data-dir', 'other'], { cwd: dir, env });
    expect(named.stdout).toBe('no stack running in other (no stack.json there)\n');
    await writeStackState(join(dir, 'elsewhere'), 'stopped');
    const status = await runCli(['status', '--mlflow', 'http://127.0.0.1:2', '--predictor', 'http://127.0.0.1:3'], {
      cwd: dir,
      env: { ...env, NATS_URL: 'nats://127.0.0.1:1' },
    });
    expect(status.stdout).toContain('local stack (elsewhere/stack.json): stopped');
  });
});

/** A stack.json in `dataDir` as mlops up writes it, with unreachable endpoints. */
async function writeStackState(dataDir: string, state: 'running' | 'stopped', pid = 1): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const endpoints = { nats: 'nats://127.0.0.1:1', mlflow: 'http://127.0.0.1:2', predictor: 'http://127.0.0.1:3' };
  const record = {
    format: 1,
    pid,
    state,
    started_at: '2026-01-02T03:04:05.000Z',
    updated_at: '2026-01-02T03:05:00.000Z',
    data_dir: dataDir,
    endpoints,
    processes: [],
  };
  await writeFile(join(dataDir, 'stack.json'), JSON.stringify(record));
}
