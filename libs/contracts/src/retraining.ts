import { z } from 'zod';
import { envelopeSchema, eventType } from './envelope.js';

const modelName = z.string().min(1).max(256);
const versionNumber = z.string().regex(/^\d+$/);
const timestamp = z.iso.datetime({ offset: true });
const count = z.number().int().min(0);
const text = z.string().min(1).max(2000);

/** What set a retrain decision off: persistent dataset drift, degraded live performance, or a person. */
export const RETRAIN_TRIGGERS = ['drift', 'performance', 'manual'] as const;

/** Why a triggered retrain did not start now. */
export const RETRAIN_SKIP_REASONS = [
  'disabled',
  'too_few_labels',
  'one_class',
  'cooldown',
  'in_flight',
  'no_champion',
  /** No longer given (table models are retrained since); kept so older RETRAIN messages still read. */
  'unsupported',
  'failed',
] as const;

/** What a retrain trains on: the labelled live rows, or those plus the replaced version's own training data. */
export const RETRAIN_DATA_MODES = ['recent', 'recent+original'] as const;

/** A retrain's data set as written for the trainer: where, which bytes, and which live rows it holds. */
export const RetrainDatasetSchema = z.object({
  /** Relative to the trainer's data directory. */
  path: z.string().min(1).max(1024),
  /** SHA-256 of the file's bytes (hex): the tune request pins it. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  rows: count,
  /** Rows of class 1 (the positive class) among them. */
  positives: count,
  /** Predictions the version made in the window, labelled or not: `rows / predictions` is the label coverage. */
  predictions: count,
  /** The prediction times the rows were drawn from (first and last labelled row). */
  window: z.object({ from: timestamp, to: timestamp }),
  /**
   * A table model's cells whose category the model never saw: the log keeps no value for them (only "unseen"), so
   * they are written as missing cells. Absent for a matrix model.
   */
  unseen_cells: count.optional(),
});

/**
 * Where a tuning came from when a retrain asked for it: carried by the tune request, `tuning.started` and
 * `tuning.completed`, written as tags on the parent run and the version, and named by `model.registered` /
 * `model.rejected` (`retrain_id`), so the chain trigger → tuning → version → verdict can be followed.
 */
export const RetrainLineageSchema = z.strictObject({
  retrain_id: z.string().min(1).max(300),
  trigger: z.enum(RETRAIN_TRIGGERS),
  detail: text,
  /** The served version the retrain means to replace. */
  replaces_version: versionNumber,
  dataset: RetrainDatasetSchema,
});

/** The data of `retrain.requested`: a retrain passed the policy and its tune request was sent. */
export const RetrainRequestedDataSchema = z.object({
  /** `<model>:<version>:<n>`: the n-th retrain of this served version. */
  retrain_id: z.string().min(1).max(300),
  model: modelName,
  /** The served version the retrain means to replace. */
  version: versionNumber,
  trigger: z.enum(RETRAIN_TRIGGERS),
  /** What the policy saw, in words ("dataset drift in 3 consecutive windows (12–14)", who asked by hand). */
  detail: text,
  /** The tune request's id: the tuning, its runs and the version it registers carry it. */
  tuning_id: z.string().min(1).max(64),
  dataset: RetrainDatasetSchema,
  /** recent+original when the replaced version's data set trains too (appended to the training side). */
  data: z.enum(RETRAIN_DATA_MODES).default('recent'),
  requested_at: timestamp,
});

/** The CloudEvents envelope of `retrain.requested`. */
export const RetrainRequestedSchema = envelopeSchema(eventType('retrain.requested'), RetrainRequestedDataSchema);

/** The data of `retrain.skipped`: a trigger held, but the policy said not now, and why. */
export const RetrainSkippedDataSchema = z.object({
  model: modelName,
  version: versionNumber,
  trigger: z.enum(RETRAIN_TRIGGERS),
  reason: z.enum(RETRAIN_SKIP_REASONS),
  message: text,
  /** The monitoring window that made the decision; null for a decision outside a window (by hand, at a label). */
  window: count.nullable(),
  skipped_at: timestamp,
});

/** The CloudEvents envelope of `retrain.skipped`. */
export const RetrainSkippedSchema = envelopeSchema(eventType('retrain.skipped'), RetrainSkippedDataSchema);

/**
 * The data of `retrain.failed`: a retrain's tuning ended with no verdict to come (the trainer refused it, or no trial
 * succeeded), and why. The retrain's own record of it: the tuning's events expire with their streams.
 */
export const RetrainFailedDataSchema = z.object({
  retrain_id: z.string().min(1).max(300),
  model: modelName,
  /** The served version the retrain meant to replace. */
  version: versionNumber,
  tuning_id: z.string().min(1).max(64),
  reason: z.string().min(1).max(10_000),
  failed_at: timestamp,
});

/** The CloudEvents envelope of `retrain.failed`. */
export const RetrainFailedSchema = envelopeSchema(eventType('retrain.failed'), RetrainFailedDataSchema);

/** `monitor.retrain`: start a retrain of the served version by hand (cooldown and drift not required). */
export const RetrainRequestSchema = z.strictObject({
  model: modelName.optional().describe('the registered model (default: the only one monitored)'),
  reason: z.string().min(1).max(500).optional().describe('why, recorded with the retrain'),
  requested_by: z.string().min(1).max(200).optional(),
});

/** The answer to `monitor.retrain`: started (with its ids) or skipped (with why). */
export const RetrainReplySchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('requested'), retrain: RetrainRequestedDataSchema }),
  z.object({ status: z.literal('skipped'), reason: z.enum(RETRAIN_SKIP_REASONS), message: text }),
]);

/** `monitor.history`: the retrains of a model (or every model), newest first, each with the gate's verdict. */
export const RetrainHistoryRequestSchema = z.strictObject({
  model: modelName.optional(),
  limit: z.number().int().min(1).max(1000).default(20),
});

/** What became of a retrain's tuning: the gate's verdict on the version it registered. */
export const RetrainOutcomeSchema = z.object({
  /** failed: the trainer refused the tune request (nothing was trained, no version). */
  verdict: z.enum(['promoted', 'rejected', 'failed']),
  /** The version the tuning registered; null when it failed. */
  version: versionNumber.nullable(),
  /** The run of the version's best trial. */
  run_id: z.string().nullable(),
  /** The champion it was compared with (and replaced, when promoted); null when there was none. */
  champion_version: versionNumber.nullable(),
  reason: z.string(),
  at: timestamp,
});

/** The retrains `monitor.history` answers with, newest first. */
export const RetrainHistorySchema = z.object({
  status: z.literal('ok'),
  retrains: z.array(z.object({ retrain: RetrainRequestedDataSchema, outcome: RetrainOutcomeSchema.nullable() })),
});

/** The reply of `monitor.history`: the retrains, or why the request was refused. */
export const RetrainHistoryReplySchema = z.union([
  RetrainHistorySchema,
  z.object({ status: z.literal('refused'), message: z.string() }),
]);

/** One of {@link RETRAIN_TRIGGERS}. */
export type RetrainTrigger = (typeof RETRAIN_TRIGGERS)[number];
/** One of {@link RETRAIN_SKIP_REASONS}. */
export type RetrainSkipReason = (typeof RETRAIN_SKIP_REASONS)[number];
/** The data of `retrain.requested`. */
export type RetrainRequestedData = z.infer<typeof RetrainRequestedDataSchema>;
/** The data of `retrain.failed`. */
export type RetrainFailedData = z.infer<typeof RetrainFailedDataSchema>;
/** The data of `retrain.skipped`. */
export type RetrainSkippedData = z.infer<typeof RetrainSkippedDataSchema>;
/** A retrain's data set. */
export type RetrainDataset = z.infer<typeof RetrainDatasetSchema>;
/** A tuning's lineage when a retrain asked for it. */
export type RetrainLineage = z.infer<typeof RetrainLineageSchema>;
/** The answer to `monitor.retrain`. */
export type RetrainReply = z.infer<typeof RetrainReplySchema>;
/** What became of a retrain's tuning. */
export type RetrainOutcome = z.infer<typeof RetrainOutcomeSchema>;
/** The answer to `monitor.history`. */
export type RetrainHistoryReply = z.infer<typeof RetrainHistorySchema>;
