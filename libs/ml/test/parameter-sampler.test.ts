import { describe, expect, it } from 'vitest';
import { MlError } from '../src/errors.js';
import type { ParameterDistribution, ParameterValue } from '../src/model-selection/parameter-sampler.js';
import { parameterSampler } from '../src/model-selection/parameter-sampler.js';
import { loadFixture } from './support/fixtures.js';

interface SamplerCase {
  name: string;
  distributions: Record<string, ParameterDistribution>;
  n_iter: number;
  random_state: number;
  candidates: Record<string, ParameterValue>[];
  warnings: string[];
}

const cases = loadFixture<{ parameter_sampler: SamplerCase[] }>('model-selection.json').parameter_sampler;
/** 2000 draws × 2 loguniform keys per seed: where glibc's `exp` (numpy's) misses the correct rounding. */
const sweeps = cases.filter((c) => c.name.startsWith('ulp_sweep'));
const exactCases = cases.filter((c) => !c.name.startsWith('ulp_sweep'));

function sample(c: SamplerCase) {
  return parameterSampler(c.distributions, { nIter: c.n_iter, randomState: c.random_state });
}

/** Distance in units in the last place between two positive doubles. */
function ulpDistance(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  const d = view.getBigInt64(0) - view.getBigInt64(8);
  return Number(d < 0n ? -d : d);
}

describe('parameterSampler', () => {
  it.each(
    exactCases.map((c) => [c.name, c] as const),
  )('when sampling %s like scikit-learn, then every candidate is identical, bit for bit', (_name, c) => {
    const { candidates, warnings } = sample(c);
    expect({ candidates, warnings }).toEqual({ candidates: c.candidates, warnings: c.warnings });
  });

  it('when 12,000 loguniform values are drawn, then each is within 1 ulp of scipy’s and fewer than 0.2 % differ', () => {
    const distances = sweeps.flatMap((c) =>
      sample(c).candidates.flatMap((candidate, i) =>
        Object.keys(candidate).map((key) => ulpDistance(candidate[key] as number, c.candidates[i]![key] as number)),
      ),
    );
    expect(distances).toHaveLength(12_000);
    expect(Math.max(...distances)).toBeLessThanOrEqual(1);
    expect(distances.filter((d) => d !== 0).length).toBeLessThan(24);
  });

  it('when a list of choices is empty or a loguniform bound is not positive, then it throws a typed error', () => {
    expect(() => parameterSampler({ a: [] }, { nIter: 1, randomState: 0 })).toThrow(MlError);
    const bad = { C: { type: 'loguniform', low: 0, high: 1 } } as const;
    expect(() => parameterSampler(bad, { nIter: 1, randomState: 0 })).toThrow(MlError);
  });
});
