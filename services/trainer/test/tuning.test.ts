import { createHash } from 'node:crypto';
import { type EventData, SUBJECTS, type TuneRequestInput } from '@mlops/contracts';
import { customersCsv, formatDatasetCsv, makeClassification } from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import { UnusableDataError } from '../src/domain/dataset.js';
import { trialId } from '../src/domain/tuning.js';
import { tune } from './support/tuning-run.js';

describe('runTuning', () => {
  it('when the seed request runs, then it publishes 15 trials in order and reproduces the accuracy table', async () => {
    const { events, outcome } = await tune({});
    expect(outcome).toEqual({ tuningId: 'tun-test', completed: 15, failed: 0 });
    const subjects = events.map((e) => e.subject);
    expect(subjects[0]).toBe(SUBJECTS.tuningStarted);
    expect(subjects.at(-1)).toBe(SUBJECTS.tuningCompleted);
    expect(subjects.filter((s) => s === SUBJECTS.runStarted)).toHaveLength(15);
    const completed = events.filter((e) => e.subject === SUBJECTS.runCompleted).map((e) => e.event.data);
    const accuracy = completed.map(
      (d) => `${(d.params as { C: number }).C}:${(d.metrics as { accuracy: number }).accuracy}`,
    );
    expect(new Set(accuracy)).toEqual(new Set(['0.01:0.865', '0.1:0.865', '1:0.855', '10:0.855', '100:0.855']));
    expect(events[0]!.event.data).toMatchObject({ trial_count: 15, dataset: { n_train: 800, n_test: 200 } });
  });

  it('when the same request runs twice, then event ids are identical (so JetStream de-duplicates a redelivery)', async () => {
    const first = await tune({ grid: { C: [1], solver: ['liblinear'] } });
    const second = await tune({ grid: { C: [1], solver: ['liblinear'] } });
    expect(second.events.map((e) => e.event.id)).toEqual(first.events.map((e) => e.event.id));
    expect(first.events.map((e) => e.event.id)).toContain(`run.completed:${trialId('tun-test', 0)}`);
  });

  it('when a trial cannot be fitted, then run.failed carries the reason and the tuning goes on', async () => {
    const { events, outcome } = await tune({
      dataset: { kind: 'synthetic', n_samples: 60, flip_y: 0, weights: [1.0] },
      grid: { C: [1], solver: ['lbfgs'] },
    });
    expect(outcome.failed).toBe(1);
    const failed = events.find((e) => e.subject === SUBJECTS.runFailed);
    expect(failed?.event.data.reason).toMatch(/only one class/);
    expect(events.at(-1)?.event.data).toMatchObject({ completed: 0, failed: 1 });
  });
});

describe('runTuning on a CSV table', () => {
  const csv = customersCsv({ nSamples: 400 });
  const request = (extra: Partial<TuneRequestInput> = {}): TuneRequestInput => ({
    dataset: { kind: 'csv', path: 'customers.csv', target: 'churned' },
    grid: { C: [1], solver: ['lbfgs', 'saga'] },
    ...extra,
  });

  it("when a customer table is tuned, then roles, text labels and each model's preprocessing travel in the events", async () => {
    const { events, outcome } = await tune(request(), 'tun-csv', csv);
    expect(outcome).toEqual({ tuningId: 'tun-csv', completed: 2, failed: 0 });
    const started = events[0]!.event.data as EventData<'tuning.started'>;
    expect(started.dataset.columns).toEqual({
      target: 'churned',
      numeric: ['tenure_months', 'monthly_charges', 'senior'],
      categorical: ['plan', 'region', 'support_calls', 'paperless_billing'],
      excluded: [{ name: 'customer_id', reason: 'every value differs: an identifier' }],
    });
    expect(started.dataset.feature_kinds).toEqual(['number', 'number', 'number', 'text', 'text', 'number', 'text']);
    const missing = csv
      .trim()
      .split('\n')
      .filter((line) => line.endsWith(',')).length;
    expect(started.dataset.rows_without_label).toBe(missing);
    expect(started.dataset.n_train + started.dataset.n_test).toBe(400 - missing);
    const run = events.find((e) => e.subject === SUBJECTS.runCompleted)!.event.data as EventData<'run.completed'>;
    const profile = started.reference_profile;
    expect(profile).toMatchObject({ version: 2, kind: 'table', rows: started.dataset.n_train });
    const profiled = profile !== undefined && 'columns' in profile ? profile.columns : [];
    expect(profiled.map((c) => [c.name, c.role])).toEqual(run.model.input_columns?.map((c) => [c.name, c.role]));
    expect(profiled.find((c) => c.name === 'plan')).toMatchObject({ categories: ['basic', 'plus', 'pro'] });
    expect(run.params).toMatchObject({ scale: true, impute: 'mean', categorical_missing: 'most_frequent' });
    expect(run.model.class_labels).toEqual(['no', 'yes']);
    expect(run.model.input_columns?.map((c) => c.name)).toEqual(started.dataset.feature_names);
    expect(run.model.feature_names).toContain('plan_basic');
    expect(run.model.coef).toHaveLength(run.model.feature_names.length);
    expect(run.converged).toBe(true);
    const completed = events.at(-1)!.event.data as EventData<'tuning.completed'>;
    expect(completed.holdout?.feature_names).toEqual(started.dataset.feature_names);
    expect(completed.holdout?.rows.flat().some((cell) => typeof cell === 'string')).toBe(true);
  });

  it('when the grid names preprocessing axes, then each combination is a trial with its own parameters', async () => {
    const { events } = await tune(
      request({ grid: { C: [1], solver: ['lbfgs'], scale: [true, false], impute: ['mean', 'median'] } }),
      'tun-axes',
      csv,
    );
    const params = events
      .filter((e) => e.subject === SUBJECTS.runCompleted)
      .map((e) => (e.event.data as EventData<'run.completed'>).params);
    expect(params.map((p) => `${p.scale}/${p.impute}`)).toEqual([
      'true/mean',
      'true/median',
      'false/mean',
      'false/median',
    ]);
  });

  it('when the table has only categorical features, then the models one-hot encode them and nothing is scaled', async () => {
    const only = [
      'plan,region,churned',
      ...customersCsv({ nSamples: 300 })
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => {
          const cells = line.split(',');
          return [cells[1], cells[2], cells[8]].join(',');
        }),
    ].join('\n');
    const { events, outcome } = await tune(
      request({ grid: { C: [1], solver: ['liblinear'] } }),
      'tun-cat',
      `${only}\n`,
    );
    expect(outcome.completed).toBe(1);
    const run = events.find((e) => e.subject === SUBJECTS.runCompleted)!.event.data as EventData<'run.completed'>;
    expect(run.model.preprocessing?.numeric).toEqual([]);
    expect(run.model.feature_names).toEqual([
      'plan_basic',
      'plan_plus',
      'plan_pro',
      'region_east',
      'region_north',
      'region_south',
      'region_west',
    ]);
  });

  const header = 'customer_id,plan,tenure,churned';
  const badTables: [string, string, RegExp][] = [
    [
      'a column with no value',
      `${header},notes\nC1,basic,3,yes,\nC2,pro,40,no,\nC3,plus,5,yes,\n`,
      /column "notes" has no value in any row/,
    ],
    [
      'a single class once rows without a label are left out',
      `${header}\nC1,basic,3,yes\nC2,pro,40,\nC3,plus,5,yes\nC4,pro,9,yes\n`,
      /target "churned" holds a single class, "yes" \(after leaving out 1 rows without a label\)/,
    ],
    ['a column named twice', 'plan,plan,churned\nbasic,pro,yes\n', /column "plan" is named twice in the header/],
    [
      'a feature column named __proto__ (no scoring request could send it by name)',
      `${header},__proto__\nC1,basic,3,yes,0.5\nC2,pro,40,no,1.5\nC3,plus,5,yes,0.5\nC4,pro,9,no,2.5\nC5,plus,2,yes,1.5\n`,
      /column "__proto__" cannot be a feature: .*rename the column or exclude it/,
    ],
    [
      'a free-text column',
      `${header},notes\nC1,basic,3,yes,${'long '.repeat(300)}\nC2,pro,40,no,x\nC3,plus,5,yes,x\nC4,pro,9,no,y\nC5,plus,2,yes,y\n`,
      // pandas 2.3.3 keeps the cell's trailing space: 1500 characters.
      /column "notes" holds text of 1500 characters, at most 1000 for a category/,
    ],
    [
      'a column name of 300 characters (more than tuning.started carries)',
      `${header},${'n'.repeat(300)}\nC1,basic,3,yes,1\nC2,pro,40,no,2\nC3,plus,5,yes,1\nC4,pro,9,no,2\n`,
      /column "n{32}…" has a name of 300 characters, at most 256 in a table/,
    ],
    [
      '300 columns',
      `${Array.from({ length: 299 }, (_, j) => `c${j}`).join(',')},churned\n${'1,'.repeat(299)}yes\n`,
      /300 columns, at most 256/,
    ],
  ];
  for (const [label, table, message] of badTables) {
    it(`when the table has ${label}, then the tuning is refused with a message naming it`, async () => {
      const refused = tune(request(), 'tun-bad', table);
      await expect(refused).rejects.toThrow(UnusableDataError);
      await expect(tune(request(), 'tun-bad', table)).rejects.toThrow(message);
    });
  }
});

describe('runTuning on a matrix CSV', () => {
  const { X, y } = makeClassification({ nSamples: 200, nFeatures: 5, nInformative: 3, randomState: 11 });
  const csv = formatDatasetCsv(X, y, ['f0', 'f1', 'f2', 'f3', 'f4']);
  const digest = createHash('sha256').update(csv).digest('hex');

  it('when a pinned matrix CSV is tuned, then the models take its columns as they are, with no preprocessing', async () => {
    const { events, outcome } = await tune(
      {
        dataset: { kind: 'csv', path: 'retrain.csv', features: 'matrix', digest },
        grid: { C: [1], solver: ['lbfgs', 'liblinear'] },
      },
      'tun-matrix',
      csv,
    );
    expect(outcome).toEqual({ tuningId: 'tun-matrix', completed: 2, failed: 0 });
    const started = events[0]!.event.data as EventData<'tuning.started'>;
    expect(started.dataset).toMatchObject({
      name: 'retrain.csv',
      feature_names: ['f0', 'f1', 'f2', 'f3', 'f4'],
      target: 'y',
      n_train: 160,
      n_test: 40,
    });
    expect(started.dataset.columns).toBeUndefined();
    expect(started.reference_profile).toMatchObject({ rows: 160 });
    const run = events.find((e) => e.subject === SUBJECTS.runCompleted)!.event.data as EventData<'run.completed'>;
    expect(Object.keys(run.params)).not.toContain('scale');
    expect(run.model.feature_names).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
    expect(run.model.input_columns).toBeUndefined();
    expect(run.model.preprocessing).toBeUndefined();
    expect(run.model.classes).toEqual([0, 1]);
    const completed = events.at(-1)!.event.data as EventData<'tuning.completed'>;
    expect(completed.holdout?.rows.flat().every((cell) => typeof cell === 'number')).toBe(true);
    expect(completed.test_rows).toBe(40);
    expect(completed.holdout).not.toHaveProperty('test_rows');
  });

  it('when a matrix feature is named with 300 characters, then it trains: no event limits a matrix feature name', async () => {
    const long = 'f'.repeat(300);
    const named = formatDatasetCsv(X, y, ['f0', 'f1', 'f2', 'f3', long]);
    const dataset = { kind: 'csv', path: 'long.csv', features: 'matrix' } as const;
    const { events, outcome } = await tune({ dataset, grid: { C: [1], solver: ['lbfgs'] } }, 'tun-long', named);
    expect(outcome).toEqual({ tuningId: 'tun-long', completed: 1, failed: 0 });
    expect((events[0]!.event.data as EventData<'tuning.started'>).dataset.feature_names.at(-1)).toBe(long);
  });

  it('when the file no longer matches its pinned digest, then the tuning is refused as unusable data', async () => {
    const pinned = { kind: 'csv', path: 'retrain.csv', features: 'matrix', digest } as const;
    const changed = `${csv}1,2,3,4,5,0\n`;
    await expect(tune({ dataset: pinned }, 'tun-changed', changed)).rejects.toThrow(UnusableDataError);
    await expect(tune({ dataset: pinned }, 'tun-changed', changed)).rejects.toThrow(`expected SHA-256 ${digest}`);
  });
});

describe('runTuning with append_training', () => {
  const { X, y } = makeClassification({ nSamples: 200, nFeatures: 5, nInformative: 3, randomState: 11 });
  const csv = formatDatasetCsv(X, y, ['f0', 'f1', 'f2', 'f3', 'f4']);
  const digest = createHash('sha256').update(csv).digest('hex');
  const recent = { kind: 'csv', path: 'retrain/recent.csv', features: 'matrix', digest } as const;
  const original = { ...recent, path: 'original.csv' };
  const grid = { C: [1], solver: ['lbfgs' as const] };

  it('when rows are appended, then tuning.started names both specs and the summary counts them; the holdout is unchanged', async () => {
    const appended = await tune({ dataset: recent, append_training: original, grid }, 'tun-append', csv);
    const plain = await tune({ dataset: recent, grid }, 'tun-plain', csv);
    const started = appended.events[0]!.event.data as EventData<'tuning.started'>;
    expect(started.dataset_spec).toEqual({ ...recent, target: 'y' });
    expect(started.append_training).toEqual({ ...original, target: 'y' });
    expect(started.dataset).toMatchObject({
      n_train: 160 + 200,
      n_test: 40,
      appended: { name: 'original.csv', source: 'file:///data/original.csv', rows: 200 },
    });
    expect(started.reference_profile).toMatchObject({ rows: 360 });
    const run = appended.events.find((e) => e.subject === SUBJECTS.runCompleted)!.event.data;
    expect(run.dataset_digest).toBe(started.dataset.digest);
    const plainStarted = plain.events[0]!.event.data as EventData<'tuning.started'>;
    expect(plainStarted.dataset_spec).toEqual({ ...recent, target: 'y' });
    expect('append_training' in plainStarted).toBe(false);
    expect(started.dataset.digest).not.toBe(plainStarted.dataset.digest);
    const holdout = (events: typeof plain.events) =>
      (events.at(-1)!.event.data as EventData<'tuning.completed'>).holdout;
    expect(holdout(appended.events)).toEqual(holdout(plain.events));
  });
});
