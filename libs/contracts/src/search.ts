import { z } from 'zod';

/** The most candidates a random search may draw (the same bound as a grid's trials). */
export const MAX_RANDOM_TRIALS = 1000;

/** The grid axes a random search may draw from a continuous distribution (the others take lists only). */
export const DISTRIBUTION_AXES = ['C', 'tol', 'intercept_scaling', 'l1_ratio'] as const;
/** One of {@link DISTRIBUTION_AXES}. */
export type DistributionAxis = (typeof DISTRIBUTION_AXES)[number];

const finite = z.number().finite();

/** `scipy.stats.loguniform(low, high)`: support [low, high], uniform in log space. */
export const LogUniformSchema = z
  .strictObject({ type: z.literal('loguniform'), low: finite.gt(0), high: finite.gt(0) })
  .refine((d) => d.high > d.low, { message: 'loguniform needs low < high', path: ['high'] })
  .describe('scipy.stats.loguniform(low, high): e.g. C from 0.001 to 100');

/** `scipy.stats.uniform(loc, scale)`: support [loc, loc + scale] (scipy's parameters, so draws match it exactly). */
export const UniformSchema = z
  .strictObject({ type: z.literal('uniform'), loc: finite, scale: finite.gt(0) })
  .describe('scipy.stats.uniform(loc, scale): support [loc, loc + scale]');

/** A continuous distribution a random search draws one axis from. */
export const DistributionSchema = z.union([LogUniformSchema, UniformSchema]);
/** See {@link DistributionSchema}. */
export type Distribution = z.output<typeof DistributionSchema>;

/** The smallest and largest value a distribution can draw. */
export function distributionSupport(d: Distribution): { low: number; high: number } {
  return d.type === 'loguniform' ? { low: d.low, high: d.high } : { low: d.loc, high: d.loc + d.scale };
}

/** What an axis's values must be: C, tol and intercept_scaling above 0, l1_ratio within [0, 1]. */
const AXIS_RANGES: Record<DistributionAxis, { min: number; minOpen: boolean; max: number }> = {
  C: { min: 0, minOpen: true, max: Number.POSITIVE_INFINITY },
  tol: { min: 0, minOpen: true, max: Number.POSITIVE_INFINITY },
  intercept_scaling: { min: 0, minOpen: true, max: Number.POSITIVE_INFINITY },
  l1_ratio: { min: 0, minOpen: false, max: 1 },
};

/** Why a distribution can draw values an axis does not take, or undefined when it cannot. */
export function distributionRangeProblem(axis: DistributionAxis, d: Distribution): string | undefined {
  const { low, high } = distributionSupport(d);
  const range = AXIS_RANGES[axis];
  const belowMin = range.minOpen ? low <= range.min : low < range.min;
  if (!belowMin && high <= range.max) return undefined;
  const wanted = axis === 'l1_ratio' ? 'within [0, 1]' : 'above 0';
  return `${axis} must be ${wanted}; this distribution draws from [${low}, ${high}]`;
}

/** Search the whole grid (the default): every grid point is a trial. */
export const GridSearchSchema = z.strictObject({ type: z.literal('grid') });

/**
 * Draw `n_trials` candidates as scikit-learn's RandomizedSearchCV does (ParameterSampler with the same seed): each
 * grid axis is a list of choices, `distributions` replaces an axis by a continuous distribution.
 */
export const RandomSearchSchema = z.strictObject({
  type: z.literal('random'),
  n_trials: z
    .number()
    .int()
    .min(1)
    .max(MAX_RANDOM_TRIALS)
    .describe(
      "RandomizedSearchCV's n_iter: the candidates drawn; when every axis is a list and the grid has fewer points, each point once",
    ),
  random_state: z.number().int().min(0).max(0xffffffff).default(42).describe('the seed of the draws'),
  distributions: z
    .partialRecord(z.enum(DISTRIBUTION_AXES), DistributionSchema)
    .default({})
    .describe(
      'axes drawn from a continuous distribution instead of the grid\'s list: {"C": {"type": "loguniform", "low": 0.001, "high": 100}}, {"l1_ratio": {"type": "uniform", "loc": 0, "scale": 1}}',
    ),
});

/** How a tuning picks its trials: the whole grid, or a random sample of it. */
export const SearchSpecSchema = z.discriminatedUnion('type', [GridSearchSchema, RandomSearchSchema]);
/** See {@link SearchSpecSchema}. */
export type SearchSpec = z.output<typeof SearchSpecSchema>;
/** See {@link RandomSearchSchema}. */
export type RandomSearchSpec = z.output<typeof RandomSearchSchema>;
