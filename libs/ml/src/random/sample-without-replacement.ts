import type { RandomState } from './random-state.js';

/**
 * scikit-learn's `sample_without_replacement(n_population, n_samples, method="auto")`: a permutation prefix when
 * 0.01 < ratio < 0.99, else tracking selection (ratio < 0.2) or reservoir sampling, with the same draws.
 */
export function sampleWithoutReplacement(population: number, count: number, rng: RandomState): number[] {
  const ratio = population !== 0 ? count / population : 1.0;
  if (ratio > 0.01 && ratio < 0.99) return Array.from(rng.permutation(population).subarray(0, count));
  if (ratio < 0.2) return trackingSelection(population, count, rng);
  const out = Array.from({ length: count }, (_, i) => i);
  for (let i = count; i < population; i++) {
    const j = rng.randint(0, i + 1);
    if (j < count) out[j] = i;
  }
  return out;
}

function trackingSelection(population: number, count: number, rng: RandomState): number[] {
  const selected = new Set<number>();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    let j = rng.randint(0, population);
    while (selected.has(j)) j = rng.randint(0, population);
    selected.add(j);
    out.push(j);
  }
  return out;
}
