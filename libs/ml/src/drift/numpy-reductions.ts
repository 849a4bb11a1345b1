/**
 * numpy's float64 reductions in numpy's own order of operations, so that sums, means and standard deviations agree
 * with numpy bit for bit: `np.add.reduce` sums pairwise (blocks of at most 128 values, each added with 8 interleaved
 * accumulators), not left to right.
 */

const PAIRWISE_BLOCK = 128;

/** `np.sum` of `values[start], values[start + stride], …` (count of them), in numpy's pairwise order. */
export function pairwiseSum(values: ArrayLike<number>, start = 0, count = values.length - start, stride = 1): number {
  if (count < 8) {
    let sum = -0;
    for (let i = 0; i < count; i++) sum += values[start + i * stride]!;
    return sum;
  }
  if (count <= PAIRWISE_BLOCK) return blockSum(values, start, count, stride);
  let half = Math.floor(count / 2);
  half -= half % 8;
  return pairwiseSum(values, start, half, stride) + pairwiseSum(values, start + half * stride, count - half, stride);
}

function blockSum(values: ArrayLike<number>, start: number, count: number, stride: number): number {
  const at = (i: number) => values[start + i * stride]!;
  let r0 = at(0);
  let r1 = at(1);
  let r2 = at(2);
  let r3 = at(3);
  let r4 = at(4);
  let r5 = at(5);
  let r6 = at(6);
  let r7 = at(7);
  let i = 8;
  for (; i < count - (count % 8); i += 8) {
    r0 += at(i);
    r1 += at(i + 1);
    r2 += at(i + 2);
    r3 += at(i + 3);
    r4 += at(i + 4);
    r5 += at(i + 5);
    r6 += at(i + 6);
    r7 += at(i + 7);
  }
  let sum = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
  for (; i < count; i++) sum += at(i);
  return sum;
}

/** `np.mean` of a strided run of values (the pairwise sum divided by the count). */
export function numpyMean(values: ArrayLike<number>, start = 0, count = values.length - start, stride = 1): number {
  return pairwiseSum(values, start, count, stride) / count;
}

/** `np.std` (population, ddof 0) of a strided run of values: the deviations are squared and summed pairwise. */
export function numpyStd(values: ArrayLike<number>, start = 0, count = values.length - start, stride = 1): number {
  const mean = numpyMean(values, start, count, stride);
  const squares = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const deviation = values[start + i * stride]! - mean;
    squares[i] = deviation * deviation;
  }
  return Math.sqrt(pairwiseSum(squares) / count);
}
