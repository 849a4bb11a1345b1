import { readFileSync } from 'node:fs';
import { type EventData, SUBJECTS, type TrialMetrics, type TuneRequestInput } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { completedOf, failedOf, requestOf, tune } from './support/tuning-run.js';

interface RandomizedSearchCvFixture {
  readonly dataset: { n_samples: number; n_features: number; n_informative: number; random_state: number };
  readonly split: { test_size: number; random_state: number };
  readonly cv: number;
  readonly cases: {
    name: string;
    grid: Record<string, unknown[]>;
    distributions: Record<string, Record<string, unknown>>;
    n_trials: number;
    random_state: number;
    candidates: { params: Record<string, unknown>; mean_test: TrialMetrics | null }[];
  }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../libs/ml/test/fixtures/randomized-search-cv.json', import.meta.url), 'utf8'),
) as RandomizedSearchCvFixture;

/** The named keys of a candidate's params. */
function asCandidate(params: object, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, (params as Record<string, unknown>)[key]]));
}

/**
 * Whether two doubles are at most one unit in the last place apart: numpy's vectorised `exp` misrounds some
 * loguniform draws by one ulp, where the library's is correctly rounded (see libs/ml/test/fixtures/README.md).
 */
function withinOneUlp(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= Math.abs(expected) * Number.EPSILON;
}

describe('random search against RandomizedSearchCV', () => {
  for (const expected of fixture.cases) {
    it(`when the search "${expected.name}" runs with cv, then it draws scikit-learn's candidates in order and scores them alike`, async () => {
      const { events } = await tune({
        dataset: { kind: 'synthetic', ...fixture.dataset },
        split: fixture.split,
        grid: expected.grid,
        search: {
          type: 'random',
          n_trials: expected.n_trials,
          random_state: expected.random_state,
          distributions: expected.distributions,
        },
        cv: fixture.cv,
      } as TuneRequestInput);
      const started = events.filter((e) => e.subject === SUBJECTS.runStarted).map((e) => e.event.data);
      expect(started).toHaveLength(expected.candidates.length);
      const keys = ['solver', 'penalty', 'tol', 'max_iter', 'fit_intercept', 'intercept_scaling', 'random_state'];
      const drawn = started.map((d) => d.params as EventData<'run.started'>['params']);
      expect(drawn.map((p) => asCandidate(p, keys))).toEqual(
        expected.candidates.map((c) => asCandidate(c.params, keys)),
      );
      expect(drawn.map((p, i) => withinOneUlp(p.C, expected.candidates[i]!.params.C as number))).not.toContain(false);
      expect(drawn.map((p) => p.l1_ratio)).toEqual(
        expected.candidates.map((c) => (c.params.penalty === 'elasticnet' ? c.params.l1_ratio : undefined)),
      );
      const refused = expected.candidates.flatMap((c, i) => (c.mean_test === null ? [i] : []));
      expect(failedOf(events).map((d) => d.trial_index)).toEqual(refused);
      for (const d of failedOf(events)) expect(d.reason).toMatch(/penalty/);
      const completed = completedOf(events);
      expect(completed.map((d) => d.trial_index)).toEqual(
        expected.candidates.flatMap((c, i) => (c.mean_test === null ? [] : [i])),
      );
      for (const trial of completed) {
        const scores = expected.candidates[trial.trial_index]!.mean_test!;
        for (const [metric, value] of Object.entries(scores)) {
          expect(Math.abs(trial.cv!.mean[metric as keyof TrialMetrics]! - value!)).toBeLessThan(1e-12);
        }
      }
    });
  }
});

describe('random search requests', () => {
  it('when a random search runs, then tuning.started carries the search and counts the drawn trials', async () => {
    const search = { type: 'random', n_trials: 4, random_state: 1 } as const;
    const { events, outcome } = await tune({ grid: { solver: ['lbfgs'] }, search });
    expect(outcome).toMatchObject({ completed: 4, failed: 0 });
    const started = events[0]!.event.data as EventData<'tuning.started'>;
    expect(started.trial_count).toBe(4);
    expect(started.search).toEqual({ ...search, distributions: {} });
    expect(events.at(-1)!.subject).toBe(SUBJECTS.tuningCompleted);
  });

  it('when the same random search runs twice, then it draws the same trials; another seed draws others', async () => {
    const input = (seed: number): TuneRequestInput => ({
      grid: { solver: ['lbfgs'] },
      search: {
        type: 'random',
        n_trials: 3,
        random_state: seed,
        distributions: { C: { type: 'loguniform', low: 1e-3, high: 1e3 } },
      },
    });
    const Cs = async (seed: number) => completedOf((await tune(input(seed))).events).map((d) => d.params.C);
    const first = await Cs(5);
    expect(await Cs(5)).toEqual(first);
    expect(await Cs(6)).not.toEqual(first);
    for (const C of first) expect(C).toBeGreaterThanOrEqual(1e-3);
  });

  it('when no search is given, then the grid is searched whole and tuning.started names no search', async () => {
    const { events } = await tune({ grid: { C: [1], solver: ['lbfgs', 'saga'] } });
    expect(events[0]!.event.data.trial_count).toBe(2);
    expect('search' in events[0]!.event.data).toBe(false);
    expect(requestOf({}).search).toBeUndefined();
  });
});
