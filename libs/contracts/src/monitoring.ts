import { z } from 'zod';
import { envelopeSchema, eventType } from './envelope.js';
import { issueMessage } from './issues.js';
import { SELECTION_METRICS } from './tune-request.js';

const modelName = z.string().min(1).max(256);
const versionNumber = z.string().regex(/^\d+$/);
const timestamp = z.iso.datetime({ offset: true });
const finite = z.number().finite();
const count = z.number().int().min(0);

/**
 * A client id: the first 16 hex characters of the SHA-256 of the bearer token a predictor client called with. It
 * names the client without revealing the token, and is the same for the same token on every predictor.
 */
export const CLIENT_ID_PATTERN = /^[0-9a-f]{16}$/;

const clientId = z.string().regex(CLIENT_ID_PATTERN, 'a client id: 16 lowercase hex characters');

/** How the prediction log packs numbers: IEEE-754 doubles, little-endian, base64 (fast to write, exact to read). */
export const PREDICTION_ENCODING = 'f64le-base64' as const;

/**
 * The same packing, in a message that holds a part of a request (`first_row`, `request_rows`): monitors older than
 * parts accept only PREDICTION_ENCODING, so they refuse such a message (dead-lettered, to re-drive once upgraded)
 * instead of reading the part as a whole request and pairing the wrong rows.
 */
export const PREDICTION_PARTS_ENCODING = 'f64le-base64-parts' as const;

/** `prediction.logged` `features_coding` of a table model: raw columns, categories as indices, NaN where missing. */
export const RAW_COLUMNS_CODING = 'raw_columns' as const;

/** At most this many rows in one logged request (the predictor's row limit is lower). */
export const MAX_LOGGED_ROWS = 1_000_000;

/** Characters of the base64 text of `n` doubles. */
export function base64LengthOfDoubles(n: number): number {
  return Math.ceil((n * 8) / 3) * 4;
}

/** The fields of `prediction.logged` holding packed doubles. */
export const PREDICTION_PACKED_FIELDS = ['features', 'probabilities', 'labels'] as const;

type PackedField = (typeof PREDICTION_PACKED_FIELDS)[number];
const packed = (what: PackedField, cells: (data: { rows: number; columns: number }) => number) => ({ what, cells });
const PACKED_FIELDS = [
  packed('features', (d) => d.rows * d.columns),
  packed('probabilities', (d) => d.rows),
  packed('labels', (d) => d.rows),
] as const;

/**
 * One scoring request inside a `prediction.logged` message, or one part of it: its rows follow the previous
 * request's. A request too large for one message is logged in parts, each alone in its message (keyed
 * `<request_id>@<first_row>`), carrying `first_row` and `request_rows`; the parts may arrive in any order.
 */
export const LoggedRequestSchema = z.object({
  request_id: z.string().min(1).max(128),
  predicted_at: timestamp,
  /** Rows of the request, or of this part of it. */
  rows: z.number().int().min(1).max(MAX_LOGGED_ROWS),
  /** The request's row this part starts at: its row `i` is the request's row `first_row + i`. Absent: 0. */
  first_row: count.max(MAX_LOGGED_ROWS - 1).optional(),
  /** Rows of the whole request this part belongs to. Absent: `first_row + rows` (a whole request). */
  request_rows: z.number().int().min(1).max(MAX_LOGGED_ROWS).optional(),
  /**
   * The client id (CLIENT_ID_PATTERN) of the bearer token the request was scored with; absent when the predictor
   * has no tokens (PREDICTOR_AUTH_TOKENS empty). A label that names a client joins only that client's predictions.
   */
  client: clientId.optional(),
});

/** At most this many scoring requests in one `prediction.logged` message. */
export const MAX_REQUESTS_PER_LOG_MESSAGE = 1000;

/**
 * The data of `prediction.logged`: scoring requests of one served version as the predictor answered them, in order
 * (one per message when traffic is light; under load the publisher puts the waiting ones together; one too large
 * for a message comes in parts, see LoggedRequestSchema). Row `i` of a request has the prediction id
 * `<request_id>-<i>` (row `i` of a part: `<request_id>-<first_row + i>`); features are row-major in the served model's
 * feature order, all requests' rows concatenated. A table model's rows are its raw input columns coded (see
 * `features_coding`).
 */
export const PredictionLoggedDataSchema = z
  .object({
    model: modelName,
    version: versionNumber,
    requests: z.array(LoggedRequestSchema).min(1).max(MAX_REQUESTS_PER_LOG_MESSAGE),
    /** Rows of all the requests together. */
    rows: z.number().int().min(1).max(MAX_LOGGED_ROWS),
    columns: z.number().int().min(1).max(100_000),
    /** PREDICTION_PARTS_ENCODING exactly when an entry is a part of a request. */
    encoding: z.enum([PREDICTION_ENCODING, PREDICTION_PARTS_ENCODING]),
    features: z.string(),
    /**
     * What `features` holds: absent for the model's own inputs; `raw_columns` for a table model's raw input columns
     * in its order (numeric columns, then categorical): a number as sent, a category as its index in the model's
     * fitted categories (their count for a category the model never saw), NaN for a missing cell.
     */
    features_coding: z.literal(RAW_COLUMNS_CODING).optional(),
    probabilities: z.string(),
    labels: z.string(),
    /** The share of requests the predictor logs (PREDICTOR_LOG_SAMPLE), to scale counts. */
    sample_rate: finite.gt(0).max(1),
    /** Requests this predictor dropped (buffer full or NATS down) since it published the previous message. */
    dropped_before: count,
  })
  .superRefine((data, ctx) => {
    const rows = data.requests.reduce((sum, r) => sum + r.rows, 0);
    if (rows !== data.rows) {
      ctx.addIssue({ code: 'custom', path: ['rows'], message: `the requests hold ${rows} rows, not ${data.rows}` });
    }
    const parts = data.requests.some((r) => r.first_row !== undefined || r.request_rows !== undefined);
    if (parts !== (data.encoding === PREDICTION_PARTS_ENCODING)) {
      const message = parts
        ? `a message holding a part of a request (first_row, request_rows) is encoded ${PREDICTION_PARTS_ENCODING}`
        : `${PREDICTION_PARTS_ENCODING} is for a message holding a part of a request`;
      ctx.addIssue({ code: 'custom', path: ['encoding'], message });
    }
    for (const [i, r] of data.requests.entries()) {
      const end = (r.first_row ?? 0) + r.rows;
      const most = r.request_rows ?? MAX_LOGGED_ROWS;
      if (end > most) {
        const message = `rows ${r.first_row ?? 0} to ${end - 1} go past the request's ${most} rows`;
        ctx.addIssue({ code: 'custom', path: ['requests', i, 'rows'], message });
      }
    }
    for (const field of PACKED_FIELDS) {
      const expected = base64LengthOfDoubles(field.cells(data));
      if (data[field.what].length !== expected) {
        ctx.addIssue({
          code: 'custom',
          path: [field.what],
          message: `expected ${expected} base64 characters (${field.cells(data)} doubles), got ${data[field.what].length}`,
        });
      }
    }
  });

/** The CloudEvents envelope of `prediction.logged`. */
export const PredictionLoggedSchema = envelopeSchema(eventType('prediction.logged'), PredictionLoggedDataSchema);

/** A prediction id as the predictor makes them: `<request id>-<row>`. */
export const PREDICTION_ID_PATTERN = /^([A-Za-z0-9_-]{1,128})-(\d{1,7})$/;

const classIndex = z.union([z.literal(0), z.literal(1)], { error: 'must be 0 or 1' });
const label = z.union([finite, z.string().min(1).max(256)], {
  error: 'must be a class of the model: its own value (a number such as 5, or text such as "yes") or its index 0 or 1',
});

/**
 * One true outcome: the label of the row a prediction id names — the class's own value as the target held it (a
 * number such as `5`, or text such as `"yes"` or `"5"`), or its class index 0 or 1 where that names no other class;
 * the monitor maps it to the class index and refuses one that names no class —; `model` (optional) must be the model
 * that scored it; `client` (optional, set by the predictor's `POST /feedback` when it has tokens) must be the client
 * that scored it: a prediction another client scored is answered as unknown. A label without `client` (an
 * operator's `feedback.received`) joins any prediction. A monitor older than `client` refuses it (unknown key):
 * upgrade the monitor before the predictor.
 */
export const FeedbackItemSchema = z.strictObject({
  prediction_id: z.string().regex(PREDICTION_ID_PATTERN, 'a prediction id as /predict returned it, e.g. "k3J9x0a-0"'),
  label,
  model: modelName.optional(),
  client: clientId.optional(),
});

/** At most this many labels in one feedback message. */
export const MAX_FEEDBACK_ITEMS = 10_000;

/** A batch of labels. */
export const FeedbackBatchSchema = z
  .array(FeedbackItemSchema)
  .min(1, 'an empty batch')
  .max(MAX_FEEDBACK_ITEMS, `at most ${MAX_FEEDBACK_ITEMS} labels per message`);

/** `feedback.received` (and `POST /feedback`): one label or an array of them, plain JSON. */
export const FeedbackRequestSchema = z.union([FeedbackItemSchema, FeedbackBatchSchema]);

/** Parses feedback with the problems of the form that was sent (a union alone would only say "invalid input"). */
export function parseFeedback(
  body: unknown,
): { ok: true; items: FeedbackItem[] } | { ok: false; errors: { path: string; message: string }[] } {
  const parsed = Array.isArray(body) ? FeedbackBatchSchema.safeParse(body) : FeedbackItemSchema.safeParse(body);
  if (parsed.success) return { ok: true, items: Array.isArray(parsed.data) ? parsed.data : [parsed.data] };
  const errors = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: issueMessage(i) }));
  return { ok: false, errors: errors.slice(0, 50) };
}

/**
 * The answer to feedback: labels stored, repeats ignored (the first label wins; those with another label counted as
 * conflicting), and each refused one with why.
 */
export const FeedbackReplySchema = z.object({
  status: z.enum(['accepted', 'partial', 'rejected']),
  accepted: count,
  duplicates: count,
  /**
   * Of the duplicates, those whose label differs from the label the prediction already has (the first stands, the
   * repeat changes nothing); absent from monitors before it was added.
   */
  conflicting: count.optional(),
  /** Labels refused (repeats aside), listed in `errors` or not; absent from monitors before it was added. */
  refused: count.optional(),
  /** The first MAX_LISTED_FEEDBACK_ERRORS refused labels with why (the reply must fit one NATS message). */
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
});

/** A feedback reply lists at most this many refused labels (10,000 would not fit one NATS message). */
export const MAX_LISTED_FEEDBACK_ERRORS = 100;

/** Labels a feedback reply refused, listed or not. */
export function refusedLabels(reply: FeedbackReply): number {
  return reply.refused ?? reply.errors.length;
}

/** The data of `label.recorded`: a label joined to the prediction it belongs to (first label per id wins). */
export const LabelRecordedDataSchema = z.object({
  prediction_id: z.string().regex(PREDICTION_ID_PATTERN),
  model: modelName,
  version: versionNumber,
  /** The class index the label names (a class's own value, number or text, mapped by the version's classes). */
  label: classIndex,
  predicted_at: timestamp,
  received_at: timestamp,
});

/** The CloudEvents envelope of `label.recorded`. */
export const LabelRecordedSchema = envelopeSchema(eventType('label.recorded'), LabelRecordedDataSchema);

/**
 * Drift statistics of one column (a feature, a table model's raw column, or the predicted probability) in one
 * window. A table's columns are compared on their present values; missing cells are counted apart.
 */
export const ColumnDriftSchema = z.object({
  name: z.string().min(1),
  /** numeric, or categorical (a table model's category column: compared on category counts). */
  kind: z.enum(['numeric', 'categorical']).optional(),
  /**
   * The statistic that decides: ks, chisquare or z (p-values), wasserstein (normalised distance), psi (index) or js
   * (distance); a categorical column takes chisquare (z for two categories) up to 1000 reference rows, js above,
   * and so does a table's numeric column of at most 5 distinct values (Evidently's rule).
   */
  method: z.enum(['ks', 'wasserstein', 'psi', 'js', 'chisquare', 'z']),
  /** The deciding value: a p-value for ks, chisquare and z, a distance or index otherwise. */
  value: finite,
  /** Drift when value < threshold (p-values) or value >= threshold (the others); alphas are Bonferroni-corrected. */
  threshold: finite,
  drifted: z.boolean(),
  psi: finite,
  js_distance: finite,
  ks_statistic: finite.nullable(),
  ks_p_value: finite.nullable(),
  wasserstein_normed: finite.nullable(),
  /** The window's and the reference's mean of the present values; null for a categorical column. */
  mean: finite.nullable(),
  reference_mean: finite.nullable(),
  /** A categorical column's categories in the window that the model never saw (rows). */
  unseen: count.optional(),
});

/** A table model's raw column: the share of missing cells in the window and in the training rows. */
export const MissingShareSchema = z.object({
  name: z.string().min(1),
  share: finite.min(0).max(1),
  reference_share: finite.min(0).max(1),
});

/** Live performance of one served version, from the labelled predictions inside the monitor's horizon. */
export const LivePerformanceSchema = z.object({
  predictions: count,
  labelled: count,
  label_coverage: finite.min(0).max(1).nullable(),
  accuracy: finite.nullable(),
  precision: finite.nullable(),
  recall: finite.nullable(),
  f1: finite.nullable(),
  roc_auc: finite.nullable(),
  log_loss: finite.nullable(),
  /** Seconds from prediction to label. */
  label_latency_p50_s: finite.nullable(),
  label_latency_p95_s: finite.nullable(),
  /** The version's metric on its test split at training time, when known. */
  training: z.object({ name: z.enum(SELECTION_METRICS), value: finite }).nullable(),
  degraded: z.boolean(),
});

/** Where one version stands after a closed window: a restarted monitor skips what it counted and keeps episodes. */
export const MonitorCheckpointSchema = z.object({
  /** Windows closed so far (the next window's index). */
  windows: count,
  /** The window that opened the current drift episode; null when there is none. */
  drift_since_window: count.nullable(),
  /** When that window's earliest row was predicted: the retrain policy trains on labelled rows from here on. */
  drift_since_at: timestamp.nullable().default(null),
  /** Performance episodes so far, and whether the last one is still open. */
  performance_episodes: count,
  degraded: z.boolean(),
  /**
   * Messages of this version that reported windows counted only the first `rows` rows of (the rest did not fit):
   * a restarted monitor counts only their other rows if they come again. An entry goes once the window holding the
   * message's last rows is reported (and acks it).
   */
  splits: z
    .array(z.object({ sequence: z.number().int().min(1), rows: z.number().int().min(1) }))
    .max(10_000)
    .default([]),
});

/** The data of `monitor.window`: every statistic of one closed window of one served version. */
export const MonitorWindowDataSchema = z.object({
  model: modelName,
  version: versionNumber,
  /** 0, 1, 2, … per version. */
  window: count,
  rows: z.number().int().min(1),
  /**
   * The `prediction.logged` stream sequences whose last rows this window counted, as inclusive ranges (empty when
   * one message fills several windows): a restarted monitor skips exactly these if they come again (their acks may
   * not have reached the server). A message split across windows is acked with the window holding its last rows.
   */
  sequences: z.array(z.tuple([z.number().int().min(1), z.number().int().min(1)])),
  opened_at: timestamp,
  closed_at: timestamp,
  closed_by: z.enum(['rows', 'time']),
  /** Rows of the reference sample; null when the version has no reference profile (no drift is computed). */
  reference_rows: count.nullable(),
  features: z.array(ColumnDriftSchema),
  prediction: ColumnDriftSchema.nullable(),
  dataset_drift: z.boolean().nullable(),
  drift_share: finite.min(0).max(1).nullable(),
  drifted_features: z.array(z.string()),
  /**
   * Missing cells per raw column of a table model (empty for other models). A column whose window has no value
   * at all is left out of `features` (nothing to compare) and shows here.
   */
  missing: z.array(MissingShareSchema).default([]),
  performance: LivePerformanceSchema,
  /** Per `<model>:<version>`, the monitor's state after this window: where a restarted monitor resumes. */
  checkpoints: z.record(z.string(), MonitorCheckpointSchema),
});

/** The CloudEvents envelope of `monitor.window`. */
export const MonitorWindowSchema = envelopeSchema(eventType('monitor.window'), MonitorWindowDataSchema);

/** The data of `drift.detected`: dataset drift began in this window (once per episode). */
export const DriftDetectedDataSchema = z.object({
  model: modelName,
  version: versionNumber,
  window: count,
  drifted_features: z.array(z.string()).min(1),
  drift_share: finite.min(0).max(1),
  detected_at: timestamp,
  /**
   * When the detecting window's earliest row was predicted: a drift retrain learns from here on (absent from events
   * stored before it was added; a restart then dates the episode from `detected_at`).
   */
  first_predicted_at: timestamp.optional(),
});

/** The CloudEvents envelope of `drift.detected`. */
export const DriftDetectedSchema = envelopeSchema(eventType('drift.detected'), DriftDetectedDataSchema);

/** The data of `drift.resolved`: the first window without dataset drift after an episode. */
export const DriftResolvedDataSchema = z.object({
  model: modelName,
  version: versionNumber,
  window: count,
  /** The window whose `drift.detected` opened the episode. */
  detected_window: count,
  /** Set when the episode ended because this version stopped being served: the version that replaced it. */
  superseded_by: versionNumber.optional(),
  resolved_at: timestamp,
});

/** The CloudEvents envelope of `drift.resolved`. */
export const DriftResolvedSchema = envelopeSchema(eventType('drift.resolved'), DriftResolvedDataSchema);

/** The data of `performance.degraded` and `performance.recovered`: the live metric against the training metric. */
export const PerformanceChangeDataSchema = z.object({
  model: modelName,
  version: versionNumber,
  metric: z.enum(SELECTION_METRICS),
  live: finite,
  training: finite,
  /** Degraded when the live metric is worse than the training metric by more than this. */
  threshold: finite,
  labelled: count,
  /** Counts the episodes of this version: 1 for the first degradation, 2 for the next, … */
  episode: z.number().int().min(1),
  /**
   * `performance.recovered` only: set when the episode ended because this version stopped being served (`live` is
   * its last live metric, not a recovery): the version that replaced it.
   */
  superseded_by: versionNumber.optional(),
  at: timestamp,
});

/** The CloudEvents envelope of `performance.degraded`. */
export const PerformanceDegradedSchema = envelopeSchema(eventType('performance.degraded'), PerformanceChangeDataSchema);

/** The CloudEvents envelope of `performance.recovered`. */
export const PerformanceRecoveredSchema = envelopeSchema(
  eventType('performance.recovered'),
  PerformanceChangeDataSchema,
);

/** `monitor.status`: the latest window and live performance of a model's served versions. */
export const MonitorStatusRequestSchema = z.strictObject({
  name: modelName.optional(),
  version: versionNumber.optional(),
});

/** What the monitor knows of one version. */
export const VersionStatusSchema = z.object({
  model: modelName,
  version: versionNumber,
  /** Why drift cannot be computed (e.g. the version has no reference profile); null when it can. */
  drift_unavailable: z.string().nullable(),
  windows: count,
  last_window: MonitorWindowDataSchema.omit({ checkpoints: true }).nullable(),
  drift_since_window: count.nullable(),
  performance: LivePerformanceSchema,
  labels: z.object({
    joined: count,
    unknown: count,
    expired: count,
    duplicate: count,
    other_model: count,
    /** Labels refused because another client scored the prediction (answered as unknown); absent from older monitors. */
    other_client: count.optional(),
  }),
});

/** The answer to `monitor.status`. */
export const MonitorStatusReplySchema = z.union([
  z.object({ status: z.literal('ok'), versions: z.array(VersionStatusSchema) }),
  z.object({ status: z.literal('refused'), message: z.string() }),
]);

/** The data of a prediction log message. */
export type PredictionLoggedData = z.infer<typeof PredictionLoggedDataSchema>;
/** One request of a prediction log message. */
export type LoggedRequest = z.infer<typeof LoggedRequestSchema>;
/** One window's statistics of one column. */
export type ColumnDrift = z.infer<typeof ColumnDriftSchema>;
/** See {@link MissingShareSchema}. */
export type MissingShare = z.infer<typeof MissingShareSchema>;
/** Live performance of a version. */
export type LivePerformance = z.infer<typeof LivePerformanceSchema>;
/** The data of `monitor.window`. */
export type MonitorWindowData = z.infer<typeof MonitorWindowDataSchema>;
/** Where one version stands after a closed window. */
export type MonitorCheckpoint = z.infer<typeof MonitorCheckpointSchema>;
/** What `monitor.status` says of one version. */
export type VersionStatus = z.infer<typeof VersionStatusSchema>;
/** One label as a client sends it. */
export type FeedbackItem = z.infer<typeof FeedbackItemSchema>;
/** The answer to feedback. */
export type FeedbackReply = z.infer<typeof FeedbackReplySchema>;
