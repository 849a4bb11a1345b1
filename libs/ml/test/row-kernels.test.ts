import { describe, expect, it } from 'vitest';
import { type BinomialObjective, binomialLossGradient, withScratch } from '../src/linear/solvers/binomial-loss.js';
import { createRowKernels } from '../src/linear/solvers/row-kernels.js';
import { denseMatrix } from '../src/matrix.js';

/** A small deterministic generator (xorshift32) scaled to [-scale, scale). */
function values(n: number, seed: number, scale: number): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

function objectiveOf(rows: number, cols: number, seed: number, options: Partial<BinomialObjective> = {}) {
  const X = denseMatrix(values(rows * cols, seed, 3), rows, cols);
  const y = values(rows, seed + 1, 1).map((v) => (v > 0 ? 1 : 0));
  return { X, y, fitIntercept: true, l2: 1 / rows, sampleWeight: undefined, weightSum: rows, ...options };
}

/** Loss and gradient through the WebAssembly kernels and through the scalar loops. */
function bothWays(objective: BinomialObjective, params: Float64Array) {
  const kernelGrad = new Float64Array(params.length);
  const scalarGrad = new Float64Array(params.length);
  const withKernels = withScratch(objective);
  const scalar = withScratch(objective, false);
  return {
    usedKernels: withKernels.kernels !== undefined,
    kernel: { loss: binomialLossGradient(withKernels, params, kernelGrad), grad: kernelGrad },
    scalar: { loss: binomialLossGradient(scalar, params, scalarGrad), grad: scalarGrad },
  };
}

describe('row kernels', () => {
  it('when WebAssembly SIMD is there (Node >= 16.4), then the kernels are created', () => {
    expect(createRowKernels(10, 3)).toBeDefined();
  });

  const shapes = [
    [1, 1],
    [3, 2],
    [5, 3],
    [7, 4],
    [9, 5],
    [33, 6],
    [64, 7],
    [100, 20],
    [257, 101],
    [2001, 9],
    [50, 4097],
  ] as const;
  for (const [rows, cols] of shapes) {
    it(`when the data is ${rows}×${cols}, then loss and gradient equal the scalar loops' bit for bit`, () => {
      const objective = objectiveOf(rows, cols, rows * 31 + cols);
      const params = values(cols + 1, cols * 7 + 3, 2);
      const { usedKernels, kernel, scalar } = bothWays(objective, params);
      expect(usedKernels).toBe(true);
      expect(Object.is(kernel.loss, scalar.loss)).toBe(true);
      expect([...kernel.grad]).toEqual([...scalar.grad]);
    });
  }

  it('when rows are more than a block and do not fill the last one, then the result is still bit for bit', () => {
    const kernels = createRowKernels(100_000, 13)!;
    const rows = kernels.blockRows * 3 + 5;
    const objective = objectiveOf(rows, 13, 5);
    const { kernel, scalar } = bothWays(objective, values(14, 9, 1));
    expect(Object.is(kernel.loss, scalar.loss)).toBe(true);
    expect([...kernel.grad]).toEqual([...scalar.grad]);
  });

  it('when there are sample weights, no intercept and raw predictions in every log1pexp branch, then bit for bit', () => {
    const rows = 400;
    const sampleWeight = values(rows, 77, 1).map((v) => 1.5 + v);
    const objective = objectiveOf(rows, 5, 11, { fitIntercept: false, sampleWeight, weightSum: 600.25 });
    // Weights large enough that x·w spans z <= -37, (-37, -2], (-2, 18] and > 18.
    const params = new Float64Array([9, -7, 5, 3, -11]);
    const { kernel, scalar } = bothWays(objective, params);
    expect(Object.is(kernel.loss, scalar.loss)).toBe(true);
    expect([...kernel.grad]).toEqual([...scalar.grad]);
  });
});
