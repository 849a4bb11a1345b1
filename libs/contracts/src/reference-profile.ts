import { z } from 'zod';

const finite = z.number().finite();
const count = z.number().int().min(0);

/** At most this many cells (sample rows × features) of the reference sample travel with `tuning.started`. */
export const MAX_PROFILE_SAMPLE_CELLS = 25_000;

/** The most reference rows a profile samples (fewer when features × rows would exceed the cell limit). */
export const MAX_PROFILE_SAMPLE_ROWS = 5000;

/** How many training rows a profile of `features` columns samples. */
export function profileSampleSize(features: number): number {
  return Math.max(1, Math.min(MAX_PROFILE_SAMPLE_ROWS, Math.floor(MAX_PROFILE_SAMPLE_CELLS / features)));
}

/** One feature of the training split: numpy statistics and its quantile bins. */
export const ReferenceFeatureSchema = z.object({
  name: z.string().min(1),
  count: z.number().int().min(1),
  mean: finite,
  std: finite.min(0),
  min: finite,
  max: finite,
  /** numpy.quantile edges at 0, 1/bins, …, 1, repeated edges dropped. */
  quantile_edges: z.array(finite).min(1),
  /** Training rows per bin; sums to count. */
  bin_counts: z.array(count),
  unique_count: z.number().int().min(1),
});

/**
 * What drift is measured against: per-feature statistics of the training split and a seeded sample of its rows
 * (column by column). Built by the trainer (@mlops/ml buildReferenceProfile), logged by the tracker as
 * `reference_profile.json` in the registered model's directory.
 */
export const ReferenceProfileSchema = z
  .object({
    version: z.literal(1),
    rows: z.number().int().min(1),
    bins: z.number().int().min(1),
    sample_size: z.number().int().min(1),
    random_state: z.number().int().min(0),
    unique_cap: z.number().int().min(1),
    features: z.array(ReferenceFeatureSchema).min(1),
    sample: z.object({ rows: z.array(count), columns: z.array(z.array(finite)) }),
  })
  .superRefine((profile, ctx) => {
    const { rows, columns } = profile.sample;
    if (columns.length !== profile.features.length) {
      ctx.addIssue({ code: 'custom', path: ['sample', 'columns'], message: 'one sample column per feature' });
    }
    if (columns.some((column) => column.length !== rows.length)) {
      ctx.addIssue({ code: 'custom', path: ['sample', 'columns'], message: 'every column has one value per row' });
    }
    if (rows.length * columns.length > MAX_PROFILE_SAMPLE_CELLS) {
      ctx.addIssue({ code: 'custom', path: ['sample'], message: `more than ${MAX_PROFILE_SAMPLE_CELLS} cells` });
    }
  });

/** A reference profile as it travels and is stored. */
export type ReferenceProfileData = z.infer<typeof ReferenceProfileSchema>;
