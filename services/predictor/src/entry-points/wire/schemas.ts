import { z } from 'zod';

/**
 * The request and response bodies of every scoring protocol, as zod schemas compiled once: requests are validated
 * with them and the OpenAPI document is generated from them, so the two cannot drift apart.
 */

const finite = z
  .number({
    // zod's own message for ±Infinity (a 1e999 in JSON) is "expected number, received number".
    error: (issue) => (typeof issue.input === 'number' ? `must be a finite number, got ${issue.input}` : undefined),
  })
  .describe('a finite number (NaN and ±Infinity are refused)');
const row = z.array(finite).describe('one row: a value per feature, in the model’s feature order');
const rowOrValue = z
  .union([row, finite], {
    // A value of neither shape is said as such (zod would name the first branch alone: "expected array"); an array
    // keeps zod's union issue, whose row branch names the bad value inside it.
    error: (issue) =>
      Array.isArray(issue.input) || typeof issue.input === 'number'
        ? undefined
        : `expected a number or a row of numbers, received ${issue.input === null ? 'null' : typeof issue.input}`,
  })
  .describe('a number (the whole array is one row) or a row');
const namedRow = z.record(z.string(), finite).describe('one row as feature name → value');
const ids = z.array(z.string()).describe('one id per scored row, `<request id>-<row index>`');

/** `POST /predict`, by its one field: positional rows, or named records. */
export const PredictRequestShapes = {
  features: z.object({ features: z.union([z.array(row), row]).describe('an array of rows, or one row') }).strict(),
  records: z.object({ records: z.array(namedRow).describe('rows as objects, every feature named') }).strict(),
};

/** The two forms of `features`, validated separately (the caller picks by the first entry: one union per body). */
export const FeaturesForms = {
  rows: z.object({ features: z.array(row) }).strict(),
  row: z.object({ features: row }).strict(),
};

const cell = z
  .union([finite, z.string(), z.null()])
  .describe('a value of one input column: a number, text, or null for a missing value');
const tableRow = z.array(cell).describe('one row: a value per column of `columns`, in that order');
const tableRecord = z
  .record(z.string(), cell)
  .describe('one row as column name → value, every input column named (columns the model does not take are ignored)');

/** The tensors an Open Inference answer holds, in this order (a request's `outputs` picks among them). */
export const INFER_OUTPUTS = ['probability', 'label', 'prediction_id'] as const;

/** The numeric tensor datatypes of the Open Inference Protocol this predictor reads (as doubles). */
export const NUMERIC_DATATYPES = [
  'FP16',
  'FP32',
  'FP64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
] as const;

/** `instances`/`inputs` of a table model: records, or an object of columns (one array per column, all one length). */
const recordsOrColumns = z.union([
  z.array(tableRecord),
  z.record(z.string(), z.array(cell)).describe('one array of values per column, all of the same length'),
]);

/**
 * The requests of a model trained on a CSV table (raw columns, GET /model lists them), for the OpenAPI document:
 * they are read by wire/table-request.ts, which names the column and row of a bad value. Its columns are sent by
 * name only: rows by position (`features`, lists in `instances`/`inputs`, a split frame without `columns`) answer
 * 400 naming the columns, since a row in another order would be scored wrong without an error.
 */
export const TableRequestShapes = {
  predict: z.object({ records: z.array(tableRecord) }).strict(),
  invocations: z.union([
    z.object({
      dataframe_split: z
        .object({
          columns: z.array(z.string()).describe('the name of each value of a row, in any order'),
          index: z.array(z.unknown()).optional(),
          data: z.array(tableRow),
        })
        .strict(),
      params: z.record(z.string(), z.unknown()).optional(),
    }),
    z.object({ dataframe_records: z.array(tableRecord), params: z.record(z.string(), z.unknown()).optional() }),
    z.object({ instances: recordsOrColumns, params: z.record(z.string(), z.unknown()).optional() }),
    z.object({ inputs: recordsOrColumns, params: z.record(z.string(), z.unknown()).optional() }),
  ]),
  infer: z.object({
    id: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    inputs: z
      .array(
        z.object({
          name: z.string().describe('an input column'),
          shape: z.array(z.number().int().min(0)).min(1).max(2).describe('[rows], or [rows, 1]'),
          datatype: z
            .enum([...NUMERIC_DATATYPES, 'BYTES'])
            .describe('a numeric datatype (FP64, FP32, INT64, …) for a number column, BYTES for text'),
          data: z.array(cell),
        }),
      )
      .min(1)
      .describe('one tensor per input column, all of the same length'),
    outputs: z
      .array(z.object({ name: z.enum(INFER_OUTPUTS) }).passthrough())
      .optional()
      .describe('the outputs to answer with (all of them when absent)'),
  }),
};

/** `POST /predict`: either shape. */
export const PredictRequestSchema = z
  .union([PredictRequestShapes.features, PredictRequestShapes.records])
  .describe('Rows to score: {"features": [...]} or {"records": [{...}]}.');

/** `POST /predict` answer. */
export const PredictResponseSchema = z.object({
  model: z.object({ name: z.string(), version: z.string() }),
  predictions: z
    .array(z.union([z.number(), z.string()]))
    .describe("predicted class of each row (the target's own labels for a model trained on a text target)"),
  probabilities: z.array(z.number()).describe('probability of the positive class of each row'),
  prediction_ids: ids,
});

/** Our own error body (native routes). */
export const ErrorResponseSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const params = z.record(z.string(), z.unknown()).describe('inference parameters (accepted, unused)');

/** A named row of `/invocations`: the model's features are checked when read; other columns are ignored, as MLflow does. */
const invocationRecord = z
  .record(z.string(), z.unknown())
  .describe('one row as column name → value: every feature a finite number, other columns ignored');
const anyRow = z.union([row, invocationRecord, finite]);

/**
 * MLflow scoring protocol, `POST /invocations` with `application/json`, by its one input field. As MLflow's scoring
 * server: beside a data frame, other top-level keys are ignored; `instances` and `inputs` come alone (with `params`
 * at most); columns the model does not take are ignored (their values unchecked).
 */
export const InvocationsRequestShapes = {
  dataframe_split: z.object({
    dataframe_split: z
      .object({
        columns: z.array(z.string()).optional(),
        index: z.array(z.unknown()).optional(),
        data: z
          .array(z.array(z.unknown()))
          .describe('rows: a finite number for each feature, anything in other columns'),
      })
      .strict(),
    params: params.optional(),
  }),
  dataframe_records: z.object({ dataframe_records: z.array(invocationRecord), params: params.optional() }),
  instances: z.object({ instances: z.array(anyRow), params: params.optional() }).strict(),
  inputs: z
    .object({
      inputs: z.union([z.array(anyRow), z.record(z.string(), z.array(z.unknown()))]),
      params: params.optional(),
    })
    .strict(),
};

/** A split frame without `columns`: its rows are read by position, so every value is a feature (a finite number). */
export const PositionalSplit = z.object({ dataframe_split: z.object({ data: z.array(row) }) });

/** MLflow scoring protocol: exactly one input field. */
export const InvocationsRequestSchema = z
  .union([
    InvocationsRequestShapes.dataframe_split,
    InvocationsRequestShapes.dataframe_records,
    InvocationsRequestShapes.instances,
    InvocationsRequestShapes.inputs,
  ])
  .describe('MLflow scoring-server input: one of dataframe_split, dataframe_records, instances, inputs');

/** MLflow scoring protocol answer. */
export const InvocationsResponseSchema = z.object({
  predictions: z.array(
    z
      .object({
        probability: z.number(),
        label: z
          .union([z.number(), z.string()])
          .describe("the target's own label for a model trained on a text target"),
        prediction_id: z.string(),
      })
      .describe('one per row'),
  ),
});

/** MLflow's error body. */
export const MlflowErrorSchema = z.object({ error_code: z.string(), message: z.string() });

/** Open Inference Protocol V2, `POST /v2/models/{name}[/versions/{v}]/infer`: one numeric tensor [rows, features]. */
export const InferRequestSchema = z.object({
  id: z.string().optional().describe('echoed in the answer; one is made up when absent'),
  parameters: params.optional(),
  inputs: z
    .array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int().min(0)).describe('[rows, features]'),
        datatype: z.enum(NUMERIC_DATATYPES),
        parameters: params.optional(),
        data: z.array(rowOrValue).describe('row-major values, flat or nested by row'),
      }),
    )
    .length(1, { error: '"inputs" must hold exactly one tensor' }),
  outputs: z
    .array(z.object({ name: z.enum(INFER_OUTPUTS) }).passthrough())
    .optional()
    .describe('the outputs to answer with (all of them when absent)'),
});

const tensorOut = z.object({
  name: z.string(),
  shape: z.array(z.number().int()),
  datatype: z.string(),
  data: z.array(z.union([z.number(), z.string()])),
});

/** Open Inference Protocol V2 infer answer: probability, label and prediction_id tensors. */
export const InferResponseSchema = z.object({
  model_name: z.string(),
  model_version: z.string(),
  id: z.string(),
  outputs: z.array(tensorOut),
});

/** The Open Inference Protocol's error body. */
export const InferErrorSchema = z.object({ error: z.string() });
