import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refusalLine } from '../src/commands/monitor.js';
import { tuneRequestOf } from '../src/commands/tune.js';
import { cannotRead } from '../src/csv.js';
import { runCli } from './support/run-cli.js';

// Input the CLI refuses itself, before anything is sent: one line naming what is wrong and how to fix it.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-refusals-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (...argv: string[]) => runCli(argv, { cwd: dir });
/** A NATS address nothing listens on: a command that got that far would say it cannot connect. */
const NO_NATS = 'nats://127.0.0.1:1';

describe('mlops predict --features', () => {
  it('when a number is too large for a float64, then it is refused before sending, naming its row, column and text (exit 2)', async () => {
    const result = await run('predict', '--url', 'http://127.0.0.1:1', '--features', '[[0.5, 1], [2, 1e400]]');
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mlops predict: --features: row 1, column 1 holds 1e400, too large for a float64\n',
    });
  });

  it('when one row is given flat, then its column is named in row 0', async () => {
    const result = await run('predict', '--url', 'http://127.0.0.1:1', '--features', '[1, -1e999]');
    expect(result.stderr).toBe('mlops predict: --features: row 0, column 1 holds -1e999, too large for a float64\n');
  });
});

describe('mlops tune --test-size', () => {
  it.each([
    ['1.0'],
    ['1e0'],
    ['2.5'],
    ['0.0'],
  ])('when %s is a fraction outside (0, 1), then it is refused before connecting (exit 2)', async (size) => {
    for (const args of [['--test-size', size], [`--test-size=${size}`]]) {
      const result = await run('tune', '--nats', NO_NATS, ...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `mlops tune: --test-size ${size}: a fraction must lie in (0, 1), such as 0.2; a row count is a whole number without a dot, such as 50\n`,
      );
    }
  });

  it('when an integer is written without a dot, then it stays a row count; a fraction in (0, 1) stays a fraction', () => {
    expect(tuneRequestOf(['--tuning-id', 't', '--test-size', '1']).split).toEqual({ test_size: 1 });
    expect(tuneRequestOf(['--tuning-id', 't', '--test-size', '0.25']).split).toEqual({ test_size: 0.25 });
  });
});

describe('mlops retrain flags', () => {
  it.each([
    [['--reason', ''], '--reason needs some text, got ""'],
    [['--by', ''], '--by needs some text, got ""'],
    [['--reason', 'x'.repeat(501)], `--reason "${'x'.repeat(501)}": Too big: expected string to have <=500 characters`],
  ])('when %j is given, then it is a usage error (exit 2) before connecting', async (flags, message) => {
    const result = await run('retrain', '--nats', NO_NATS, ...flags);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `mlops retrain: ${message}\n` });
  });
});

describe('numeric flags', () => {
  it.each([
    [['tune', '--nats', NO_NATS, '--timeout', '1e400'], 'mlops tune: --timeout 1e400 is too large'],
    [['models', '--nats', NO_NATS, '--limit', '1e400'], 'mlops models: --limit 1e400 is too large'],
    [['dataset', 'customers', '--out', 'c.csv', '--rows', '1e400'], 'mlops dataset: --rows 1e400 is too large'],
    [['traffic', '--shift=-1e400'], 'mlops traffic: --shift -1e400 is too large'],
  ])('when %j gives a number beyond a float64, then it says the number is too large (exit 2)', async (argv, start) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`${start}: a float64 holds at most about 1.8e308\n`);
  });

  it('when fit gets --C Infinity, inf or 1e309, then the refusal names --penalty none, as the message of --C 0 does', async () => {
    const refusals = await Promise.all(['Infinity', 'inf', '1e309'].map((c) => run('fit', '--csv', 'x.csv', '--C', c)));
    expect(refusals.map((r) => [r.code, r.stderr])).toEqual([
      [2, 'mlops fit: --C needs a finite number, got "Infinity" (for no penalty: --penalty none)\n'],
      [2, 'mlops fit: --C needs a finite number, got "inf" (for no penalty: --penalty none)\n'],
      [
        2,
        'mlops fit: --C 1e309 is too large: a float64 holds at most about 1.8e308 (for no penalty: --penalty none)\n',
      ],
    ]);
  });

  it('when fit gets --C 0, then the library rule says how to have no penalty with a flag, not with Infinity', async () => {
    await writeFile(join(dir, 'd.csv'), 'x0,y\n0,0\n1,1\n2,0\n3,1\n');
    const result = await run('fit', '--csv', 'd.csv', '--C', '0');
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mlops fit: --C 0: must be a number > 0 (for no penalty: --penalty none)\n',
    });
  });
});

describe('mlops feedback --csv', () => {
  it('when a label is not UTF-8 (latin-1), then the byte is named and nothing is sent (exit 1)', async () => {
    await writeFile(join(dir, 'labels.csv'), Buffer.from('prediction_id,label\na-0,\xe9\n', 'latin1'));
    const result = await run('feedback', '--csv', 'labels.csv', '--nats', NO_NATS);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'mlops feedback: labels.csv:2: byte 0xe9 after "a-0," is not UTF-8: save the file as UTF-8\n',
    });
  });

  it('when the monitor refuses the label of a batch of one (path "label"), then the line names its row', () => {
    const message = '"2" is not a class of m version 1';
    expect(refusalLine({ path: 'label', message }, 0, 1)).toBe(`row 2: ${message}`);
    expect(refusalLine({ path: 'label', message }, 10_000, 1)).toBe(`row 10002: ${message}`);
    expect(refusalLine({ path: '1.label', message }, 0, 3)).toBe(`row 3: ${message}`);
  });
});

describe('files that cannot be read', () => {
  it('when a file is not readable (EACCES), then it says permission denied', () => {
    const err = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(cannotRead('rows.csv', err).message).toBe('rows.csv: cannot read (permission denied)');
  });
});

describe('unknown options', () => {
  it.each([
    [['predict', '-x'], "mlops predict: Unknown option '-x' (see mlops predict --help)"],
    [['tune', '--nope'], "mlops tune: Unknown option '--nope' (see mlops tune --help)"],
    [
      ['traffic', '--shift', '-1'],
      "mlops traffic: Option '--shift' argument is ambiguous. Did you forget to specify the option argument for '--shift'? To specify an option argument starting with a dash use '--shift=-XYZ'. (see mlops traffic --help)",
    ],
  ])('when %j is given, then the one line points to the command --help (exit 2)', async (argv, line) => {
    const result = await run(...argv);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
  });
});
