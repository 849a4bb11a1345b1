/**
 * `numpy.quantile(values, numpy.linspace(0, 1, bins + 1))` with numpy's default 'linear' method, from values sorted
 * ascending: the virtual index (n − 1)·q, then numpy's lerp (a + (b − a)·γ below γ = 0.5, b − (b − a)·(1 − γ) from
 * 0.5 up), so the edges agree with numpy bit for bit.
 */
export function quantileEdges(sorted: Float64Array, bins: number): Float64Array {
  const edges = new Float64Array(bins + 1);
  const step = 1 / bins;
  for (let k = 0; k <= bins; k++) edges[k] = linearQuantile(sorted, k === bins ? 1 : k * step);
  return edges;
}

/** One `numpy.quantile(sorted, q)` (method 'linear') of values sorted ascending. */
export function linearQuantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return sorted[n - 1]!;
  const below = Math.floor(virtual);
  const gamma = virtual - below;
  const a = sorted[below]!;
  const b = sorted[below + 1]!;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** The distinct values of a sorted array, in order (`numpy.unique`). */
export function distinctSorted(sorted: Float64Array): Float64Array {
  const out: number[] = [];
  for (const v of sorted) if (out.length === 0 || v !== out[out.length - 1]) out.push(v);
  return Float64Array.from(out);
}
