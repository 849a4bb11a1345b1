import { type LoggedRequestRows, versionKey } from './prediction-batch.js';

/** One logged message as the join keeps it: no features, only what labels are scored against, for all its rows. */
interface JoinedBatch {
  readonly key: string;
  readonly model: string;
  readonly version: string;
  readonly probabilities: Float64Array;
  readonly predicted: Float64Array;
  /** -1 until a label arrives, then 0 or 1. */
  readonly truth: Int8Array;
  /** ms from prediction to label, per labelled row (NaN until labelled). */
  readonly latencyMs: Float64Array;
}

/** One logged request: its rows [offset, offset + rows) of a batch (a few fields: single-row traffic has millions). */
interface JoinedRequest {
  readonly batch: JoinedBatch;
  readonly offset: number;
  readonly rows: number;
  readonly predictedAtMs: number;
}

/** A logged message as the join takes it: its requests, their rows' probabilities and predicted labels in order. */
export interface LoggedBatch {
  readonly model: string;
  readonly version: string;
  readonly requests: readonly LoggedRequestRows[];
  readonly probabilities: Float64Array;
  readonly labels: Float64Array;
}

/** Why a label was not joined. */
export type LabelRefusal = 'unknown' | 'expired' | 'duplicate' | 'other_model' | 'bad_row';

/** The outcome of offering one label. */
export type LabelOutcome =
  | { readonly ok: true; readonly model: string; readonly version: string; readonly predictedAtMs: number }
  | { readonly ok: false; readonly refusal: LabelRefusal; readonly message: string };

/** Counts of label outcomes: joined per version, refusals under ''. */
export interface LabelCounts {
  joined: number;
  unknown: number;
  expired: number;
  duplicate: number;
  other_model: number;
}

/** The labelled and unlabelled rows of one version inside a time range, for live performance. */
export interface VersionRows {
  readonly predictions: number;
  readonly truth: number[];
  readonly probability: number[];
  readonly predicted: number[];
  readonly latencyMs: number[];
}

/** A version's labelled rows in a time range, per logged request: what a retrain's data set is built from. */
export interface LabelledWindow {
  /** Per request id with at least one label: each row's label (-1 where unlabelled), and when it was predicted. */
  readonly requests: ReadonlyMap<string, { readonly labels: Int8Array; readonly predictedAtMs: number }>;
  /** Rows predicted in the range, labelled or not. */
  readonly predictions: number;
  readonly labelled: number;
  /** Labelled rows predicted after `newAfterMs`. */
  readonly newLabelled: number;
  readonly classCounts: readonly [number, number];
  /** Prediction times of the first and the last labelled row (NaN when none). */
  readonly firstMs: number;
  readonly lastMs: number;
}

const EVICTED_MEMORY = 200_000;

/**
 * Joins late labels to logged predictions by prediction id (`<request id>-<row>`): keeps each request's
 * probabilities for `horizonMs` and at most `maxRows` rows (oldest forgotten first). The first label of a row wins;
 * a repeat is a duplicate, whatever its value.
 */
export class LabelJoin {
  private readonly requests = new Map<string, JoinedRequest>();
  private readonly evicted = new Set<string>();
  private rows = 0;
  private readonly counts = new Map<string, LabelCounts>();

  constructor(private readonly limits: { readonly horizonMs: number; readonly maxRows: number }) {}

  /** Remembers the requests of a logged message; a request already known is left as it is (replays, redeliveries). */
  addBatch(batch: LoggedBatch, nowMs: number): void {
    let joined: JoinedBatch | undefined;
    let offset = 0;
    for (const request of batch.requests) {
      const start = offset;
      offset += request.rows;
      if (this.requests.has(request.requestId)) continue;
      if (nowMs - request.predictedAtMs > this.limits.horizonMs) {
        this.rememberEvicted(request.requestId); // read back past the horizon at start: its labels are late, not unknown
        continue;
      }
      joined ??= joinedBatch(batch);
      this.requests.set(request.requestId, {
        batch: joined,
        offset: start,
        rows: request.rows,
        predictedAtMs: request.predictedAtMs,
      });
      this.rows += request.rows;
    }
    if (joined !== undefined) this.evict(nowMs);
  }

  /** Whether a label for this prediction id would join (no state changes): for the intake's answer. */
  check(predictionId: string, model: string | undefined): LabelOutcome {
    const found = this.locate(predictionId);
    if (!found.ok) return found;
    const { request, row } = found;
    const { batch } = request;
    if (model !== undefined && model !== batch.model) {
      return refusal('other_model', `prediction ${predictionId} was made by model ${batch.model}, not ${model}`);
    }
    if ((batch.truth[request.offset + row] as number) !== -1) {
      return refusal('duplicate', `prediction ${predictionId} already has a label (the first label wins)`);
    }
    return { ok: true, model: batch.model, version: batch.version, predictedAtMs: request.predictedAtMs };
  }

  /** The model and version that made a kept prediction (labelled or not), or undefined when it is not kept. */
  versionOf(predictionId: string): { readonly model: string; readonly version: string } | undefined {
    const found = this.locate(predictionId);
    return found.ok ? { model: found.request.batch.model, version: found.request.batch.version } : undefined;
  }

  /** Records a label (the first per row wins); `receivedAtMs` gives the label latency. */
  applyLabel(predictionId: string, label: 0 | 1, receivedAtMs: number): LabelOutcome {
    const outcome = this.check(predictionId, undefined);
    if (!outcome.ok) return outcome;
    this.count(versionKey(outcome.model, outcome.version), outcome);
    const found = this.locate(predictionId);
    if (!found.ok) return found;
    const { batch, offset, predictedAtMs } = found.request;
    batch.truth[offset + found.row] = label;
    batch.latencyMs[offset + found.row] = Math.max(0, receivedAtMs - predictedAtMs);
    return outcome;
  }

  /** Counts a refusal the intake answered (never stored, so a replay does not count it again). */
  countRefusal(outcome: LabelOutcome & { ok: false }): void {
    this.count('', outcome);
  }

  /** Labels joined per version; `''` holds every refusal since start (unknown, expired, duplicate, other model). */
  labelCounts(key: string): LabelCounts {
    return { ...(this.counts.get(key) ?? emptyCounts()) };
  }

  /** Rows of a version predicted at or after `sinceMs`: all of them counted, the labelled ones listed. */
  rowsOf(key: string, sinceMs: number): VersionRows {
    const out = { predictions: 0, truth: [] as number[], probability: [] as number[], predicted: [] as number[] };
    const latencyMs: number[] = [];
    for (const { batch, offset, rows, predictedAtMs } of this.requests.values()) {
      if (batch.key !== key || predictedAtMs < sinceMs) continue;
      out.predictions += rows;
      for (let i = offset; i < offset + rows; i++) {
        const truth = batch.truth[i] as number;
        if (truth === -1) continue;
        out.truth.push(truth);
        out.probability.push(batch.probabilities[i] as number);
        out.predicted.push(batch.predicted[i] as number);
        latencyMs.push(batch.latencyMs[i] as number);
      }
    }
    return { ...out, latencyMs };
  }

  /** The labelled rows of a version predicted at or after `sinceMs`, per request (labels copied). */
  labelledWindow(key: string, sinceMs: number, newAfterMs: number): LabelledWindow {
    const requests = new Map<string, { labels: Int8Array; predictedAtMs: number }>();
    const counts: [number, number] = [0, 0];
    let predictions = 0;
    let newLabelled = 0;
    let firstMs = Number.NaN;
    let lastMs = Number.NaN;
    for (const [id, { batch, offset, rows, predictedAtMs }] of this.requests) {
      if (batch.key !== key || predictedAtMs < sinceMs) continue;
      predictions += rows;
      const labels = batch.truth.slice(offset, offset + rows);
      const labelled = labels.reduce((n, label) => n + (label === -1 ? 0 : 1), 0);
      if (labelled === 0) continue;
      requests.set(id, { labels, predictedAtMs });
      for (const label of labels) if (label !== -1) counts[label as 0 | 1]++;
      if (predictedAtMs > newAfterMs) newLabelled += labelled;
      if (!(firstMs <= predictedAtMs)) firstMs = predictedAtMs;
      if (!(lastMs >= predictedAtMs)) lastMs = predictedAtMs;
    }
    const labelled = counts[0] + counts[1];
    return { requests, predictions, labelled, newLabelled, classCounts: counts, firstMs, lastMs };
  }

  /** The versions with rows in the join. */
  versions(): { model: string; version: string }[] {
    const seen = new Map<string, { model: string; version: string }>();
    for (const { batch } of this.requests.values()) seen.set(batch.key, { model: batch.model, version: batch.version });
    return [...seen.values()];
  }

  /** Rows kept now. */
  get size(): number {
    return this.rows;
  }

  /** Forgets requests older than the horizon, then the oldest ones while more than `maxRows` rows are kept. */
  evict(nowMs: number): void {
    for (const [id, request] of this.requests) {
      const tooOld = nowMs - request.predictedAtMs > this.limits.horizonMs;
      if (!tooOld && this.rows <= this.limits.maxRows) break;
      this.forget(id, request);
    }
  }

  private forget(id: string, request: JoinedRequest): void {
    this.requests.delete(id);
    this.rows -= request.rows;
    this.rememberEvicted(id);
  }

  /** Remembers a request id as past the horizon (the newest EVICTED_MEMORY of them). */
  private rememberEvicted(id: string): void {
    this.evicted.add(id);
    if (this.evicted.size > EVICTED_MEMORY) {
      const oldest = this.evicted.values().next().value;
      if (oldest !== undefined) this.evicted.delete(oldest);
    }
  }

  private locate(
    predictionId: string,
  ): { ok: true; request: JoinedRequest; row: number } | (LabelOutcome & { ok: false }) {
    const dash = predictionId.lastIndexOf('-');
    const requestId = predictionId.slice(0, dash);
    const row = Number(predictionId.slice(dash + 1));
    const request = this.requests.get(requestId);
    if (request === undefined) {
      return this.evicted.has(requestId)
        ? refusal('expired', `prediction ${predictionId} is older than the monitor keeps predictions`)
        : refusal('unknown', `no prediction ${predictionId} was logged (or it was not sampled)`);
    }
    if (dash < 1 || !Number.isInteger(row) || row < 0 || row >= request.rows) {
      return refusal('bad_row', `prediction ${predictionId}: request ${requestId} has ${request.rows} rows`);
    }
    return { ok: true, request, row };
  }

  private count(key: string, outcome: LabelOutcome): void {
    const counts = this.counts.get(key) ?? emptyCounts();
    this.counts.set(key, counts);
    if (outcome.ok) counts.joined++;
    else if (outcome.refusal === 'bad_row') counts.unknown++;
    else counts[outcome.refusal]++;
  }
}

/** The join's copy of a message's answers: views of its arrays, and a label slot per row. */
function joinedBatch(batch: LoggedBatch): JoinedBatch {
  const n = batch.probabilities.length;
  return {
    key: versionKey(batch.model, batch.version),
    model: batch.model,
    version: batch.version,
    probabilities: batch.probabilities,
    predicted: batch.labels,
    truth: new Int8Array(n).fill(-1),
    latencyMs: new Float64Array(n).fill(Number.NaN),
  };
}

function refusal(kind: LabelRefusal, message: string): LabelOutcome & { ok: false } {
  return { ok: false, refusal: kind, message };
}

function emptyCounts(): LabelCounts {
  return { joined: 0, unknown: 0, expired: 0, duplicate: 0, other_model: 0 };
}
