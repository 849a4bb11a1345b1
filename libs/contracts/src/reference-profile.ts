import { z } from 'zod';
import { MAX_COLUMN_NAME_LENGTH } from './tables.js';

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

/** A profile's sample: one column per profiled column, aligned rows, within the cell limit. */
function checkSample(
  sample: { rows: readonly number[]; columns: readonly (readonly unknown[])[] },
  profiled: number,
  ctx: z.RefinementCtx,
): void {
  const { rows, columns } = sample;
  if (columns.length !== profiled) {
    ctx.addIssue({ code: 'custom', path: ['sample', 'columns'], message: 'one sample column per profiled column' });
  }
  if (columns.some((column) => column.length !== rows.length)) {
    ctx.addIssue({ code: 'custom', path: ['sample', 'columns'], message: 'every column has one value per row' });
  }
  if (rows.length * columns.length > MAX_PROFILE_SAMPLE_CELLS) {
    ctx.addIssue({ code: 'custom', path: ['sample'], message: `more than ${MAX_PROFILE_SAMPLE_CELLS} cells` });
  }
}

/**
 * What drift is measured against for a model of numeric features: per-feature statistics of the training split and a
 * seeded sample of its rows (column by column). Built by the trainer (@mlops/ml buildReferenceProfile), logged by the tracker as
 * `reference_profile.json` in the registered model's directory.
 */
export const MatrixProfileSchema = z
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
  .superRefine((profile, ctx) => checkSample(profile.sample, profile.features.length, ctx));

const columnName = z.string().min(1).max(MAX_COLUMN_NAME_LENGTH);
const category = z.union([finite, z.string().max(10_000)]);

/** A table's numeric raw column in the training rows: how many are missing, and its present values' statistics. */
const NumericColumnProfileSchema = z.object({
  role: z.literal('numeric'),
  name: columnName,
  missing: count,
  /** Statistics and quantile bins of the present values (count = training rows − missing). */
  present: ReferenceFeatureSchema,
});

/** A table's categorical raw column in the training rows: its categories (sorted as the encoder sorts them). */
const CategoricalColumnProfileSchema = z
  .object({
    role: z.literal('categorical'),
    name: columnName,
    missing: count,
    categories: z.array(category).min(1),
    /** Training rows per category. */
    counts: z.array(z.number().int().min(1)),
  })
  .refine((c) => c.counts.length === c.categories.length, { message: 'one count per category', path: ['counts'] });

/**
 * What a table model's raw columns are compared with: each column of the training split (numeric: statistics of
 * the present values; categorical: counts per category; both: missing cells) and a seeded sample of its rows
 * coded as the prediction log codes them (a number, a category's index in `categories`, null where missing).
 */
export const TableProfileSchema = z
  .object({
    version: z.literal(2),
    kind: z.literal('table'),
    rows: z.number().int().min(1),
    bins: z.number().int().min(1),
    sample_size: z.number().int().min(1),
    random_state: z.number().int().min(0),
    unique_cap: z.number().int().min(1),
    columns: z.array(z.discriminatedUnion('role', [NumericColumnProfileSchema, CategoricalColumnProfileSchema])).min(1),
    sample: z.object({ rows: z.array(count), columns: z.array(z.array(finite.nullable())) }),
  })
  .superRefine((profile, ctx) => checkSample(profile.sample, profile.columns.length, ctx));

/** A reference profile: of a model's numeric features (version 1), or of a table model's raw columns (version 2). */
export const ReferenceProfileSchema = z.union([MatrixProfileSchema, TableProfileSchema]);

/** A reference profile as it travels and is stored. */
export type ReferenceProfileData = z.infer<typeof ReferenceProfileSchema>;
/** See {@link MatrixProfileSchema}. */
export type MatrixProfileData = z.infer<typeof MatrixProfileSchema>;
/** See {@link TableProfileSchema}. */
export type TableProfileData = z.infer<typeof TableProfileSchema>;
