import { z } from 'zod';

const finite = z.number().finite();

/** The longest column name a table's events carry (roles, input columns, preprocessing, profile): a CSV table's limit. */
export const MAX_COLUMN_NAME_LENGTH = 256;

const name = z.string().min(1).max(MAX_COLUMN_NAME_LENGTH);

/** One raw cell of a table: a number, text, or null for a missing cell. */
export const CellSchema = z.union([finite, z.string().max(10_000), z.null()]);

/** A class's own label: a number or text. */
export const ClassLabelSchema = z.union([finite, z.string().min(1).max(256)]);

/** A raw column a table model takes: its name, what it holds, and what the model uses it as. */
export const InputColumnSchema = z.strictObject({
  name,
  kind: z.enum(['number', 'text']),
  role: z.enum(['numeric', 'categorical']),
});

/** What each column of a CSV table was used as (printed with the tuning, logged to MLflow). */
export const ColumnRolesSchema = z.strictObject({
  target: name,
  numeric: z.array(name),
  categorical: z.array(name),
  excluded: z.array(z.strictObject({ name, reason: z.string().min(1).max(500) })),
});

/** A fitted ColumnTransformer (imputers, scaler, one-hot encoder), as libs/ml's FittedPreprocessor. */
export const FittedPreprocessorSchema = z.strictObject({
  numeric: z.array(z.strictObject({ name, fill: finite, mean: finite.nullable(), scale: finite.gt(0).nullable() })),
  categorical: z.array(
    z.strictObject({
      name,
      kind: z.enum(['number', 'text']),
      fill: CellSchema,
      categories: z.array(CellSchema).min(1),
    }),
  ),
});

/** See {@link InputColumnSchema}. */
export type InputColumn = z.infer<typeof InputColumnSchema>;
/** See {@link ColumnRolesSchema}. */
export type ColumnRolesData = z.infer<typeof ColumnRolesSchema>;
/** See {@link FittedPreprocessorSchema}. */
export type FittedPreprocessorData = z.infer<typeof FittedPreprocessorSchema>;
/** See {@link CellSchema}. */
export type Cell = z.infer<typeof CellSchema>;
