import { firstRowOf, isPart, type LoggedRequestRows, requestRowsOf, versionKey } from './prediction-batch.js';

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

/** Rows [offset, offset + rows) of a batch: a logged request's, or a part's. */
interface JoinedRows {
  readonly batch: JoinedBatch;
  readonly offset: number;
  readonly rows: number;
}

/** One logged request (a few fields: single-row traffic has millions). */
interface JoinedRequest extends JoinedRows {
  readonly predictedAtMs: number;
  /** The client that scored it, as its index among the join's client ids (NO_CLIENT: scored without a token). */
  readonly client: number;
}

/** A part of a request logged in parts: the request's rows [firstRow, firstRow + rows). */
interface JoinedPart extends JoinedRows {
  readonly firstRow: number;
}

/** A request logged in parts: the parts known so far, in the order they came. */
interface JoinedParts {
  readonly parts: JoinedPart[];
  readonly predictedAtMs: number;
  /** The client that scored it (see JoinedRequest). */
  readonly client: number;
  /** Rows of the whole request. */
  requestRows: number;
  /** Rows of the parts known. */
  rows: number;
}

type JoinedEntry = JoinedRequest | JoinedParts;

/** A logged message as the join takes it: its requests, their rows' probabilities and predicted labels in order. */
export interface LoggedBatch {
  readonly model: string;
  readonly version: string;
  readonly requests: readonly LoggedRequestRows[];
  readonly probabilities: Float64Array;
  readonly labels: Float64Array;
}

/**
 * Why a label was not joined. `other_client`: the label names a client and another client scored the prediction;
 * it is answered exactly as an unknown id (so it tells a client nothing of other clients' ids), and counted apart.
 */
export type LabelRefusal = 'unknown' | 'expired' | 'duplicate' | 'other_model' | 'other_client' | 'bad_row';

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
  other_client: number;
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
/** The client index of a request scored without a token (the predictor had none): its labels may come from anyone. */
const NO_CLIENT = 0;

/**
 * Joins late labels to logged predictions by prediction id (`<request id>-<row>`): keeps each request's
 * probabilities for `horizonMs` and at most `maxRows` rows (oldest forgotten first). A request logged in parts is
 * kept as the parts that came, in whatever order. The first label of a row wins; a repeat is a duplicate, whatever
 * its value. A request keeps the client that scored it (as a small index: client ids are interned once), and a label
 * that names a client joins only that client's requests or those scored without one.
 */
export class LabelJoin {
  private readonly requests = new Map<string, JoinedEntry>();
  private readonly evicted = new RecentIds(EVICTED_MEMORY);
  private rows = 0;
  private readonly counts = new Map<string, LabelCounts>();
  /** Client id → its index (from 1; NO_CLIENT is 0): one per bearer token ever seen, so a handful. */
  private readonly clients = new Map<string, number>();

  constructor(private readonly limits: { readonly horizonMs: number; readonly maxRows: number }) {}

  /**
   * Remembers the requests (and parts) of a logged message; a request or part already known is left as it is
   * (replays, redeliveries).
   */
  addBatch(batch: LoggedBatch, nowMs: number): void {
    let joined: JoinedBatch | undefined;
    let offset = 0;
    for (const request of batch.requests) {
      const start = offset;
      offset += request.rows;
      const known = this.requests.get(request.requestId);
      if (known !== undefined && !isNewPart(known, request)) continue;
      const client = this.clientIndex(request.client);
      if (nowMs - request.predictedAtMs > this.limits.horizonMs) {
        // Read back past the horizon at start: its labels are late, not unknown.
        this.rememberEvicted(request.requestId, client);
        continue;
      }
      joined ??= joinedBatch(batch);
      const rows = { batch: joined, offset: start, rows: request.rows };
      this.rows += request.rows;
      if (!isPart(request)) {
        this.requests.set(request.requestId, { ...rows, predictedAtMs: request.predictedAtMs, client });
        continue;
      }
      const parts: JoinedParts =
        known !== undefined && 'parts' in known
          ? known
          : { parts: [], predictedAtMs: request.predictedAtMs, client, requestRows: 0, rows: 0 };
      parts.parts.push({ ...rows, firstRow: firstRowOf(request) });
      parts.requestRows = Math.max(parts.requestRows, requestRowsOf(request));
      parts.rows += request.rows;
      if (parts !== known) this.requests.set(request.requestId, parts);
    }
    if (joined !== undefined) this.evict(nowMs);
  }

  /**
   * Whether a label for this prediction id would join (no state changes): for the intake's answer. A label naming
   * `client` is refused as `other_client` when another client scored the prediction, before anything else is
   * looked at (its row count, model or label would tell that the id exists).
   */
  check(predictionId: string, model: string | undefined, client?: string): LabelOutcome {
    const found = this.locate(predictionId, client);
    if (!found.ok) return found;
    const { batch, offset } = found.rows;
    if (model !== undefined && model !== batch.model) {
      return refusal('other_model', `prediction ${predictionId} was made by model ${batch.model}, not ${model}`);
    }
    if ((batch.truth[offset + found.row] as number) !== -1) {
      return refusal('duplicate', `prediction ${predictionId} already has a label (the first label wins)`);
    }
    return { ok: true, model: batch.model, version: batch.version, predictedAtMs: found.predictedAtMs };
  }

  /** The model and version that made a kept prediction (labelled or not), or undefined when it is not kept. */
  versionOf(predictionId: string): { readonly model: string; readonly version: string } | undefined {
    const found = this.locate(predictionId);
    return found.ok ? { model: found.rows.batch.model, version: found.rows.batch.version } : undefined;
  }

  /** The class index a kept prediction was labelled with, or undefined when it has no label (or is not kept). */
  labelOf(predictionId: string): 0 | 1 | undefined {
    const found = this.locate(predictionId);
    if (!found.ok) return undefined;
    const truth = found.rows.batch.truth[found.rows.offset + found.row];
    return truth === 0 || truth === 1 ? truth : undefined;
  }

  /** Records a label (the first per row wins); `receivedAtMs` gives the label latency. */
  applyLabel(predictionId: string, label: 0 | 1, receivedAtMs: number): LabelOutcome {
    const outcome = this.check(predictionId, undefined);
    if (!outcome.ok) return outcome;
    this.count(versionKey(outcome.model, outcome.version), outcome);
    const found = this.locate(predictionId);
    if (!found.ok) return found;
    const { batch, offset } = found.rows;
    batch.truth[offset + found.row] = label;
    batch.latencyMs[offset + found.row] = Math.max(0, receivedAtMs - found.predictedAtMs);
    return outcome;
  }

  /** Counts a refusal the intake answered (never stored, so a replay does not count it again). */
  countRefusal(outcome: LabelOutcome & { ok: false }): void {
    this.count('', outcome);
  }

  /**
   * Labels joined per version; `''` holds every refusal since start (unknown, expired, duplicate, other model, other
   * client).
   */
  labelCounts(key: string): LabelCounts {
    return { ...(this.counts.get(key) ?? emptyCounts()) };
  }

  /** Rows of a version predicted at or after `sinceMs`: all of them counted, the labelled ones listed. */
  rowsOf(key: string, sinceMs: number): VersionRows {
    const out = { predictions: 0, truth: [] as number[], probability: [] as number[], predicted: [] as number[] };
    const latencyMs: number[] = [];
    const visit = ({ batch, offset, rows }: JoinedRows) => {
      out.predictions += rows;
      for (let i = offset; i < offset + rows; i++) {
        const truth = batch.truth[i] as number;
        if (truth === -1) continue;
        out.truth.push(truth);
        out.probability.push(batch.probabilities[i] as number);
        out.predicted.push(batch.predicted[i] as number);
        latencyMs.push(batch.latencyMs[i] as number);
      }
    };
    for (const entry of this.requests.values()) {
      if (entry.predictedAtMs >= sinceMs && keyOf(entry) === key) forEachRows(entry, visit);
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
    for (const [id, entry] of this.requests) {
      const { predictedAtMs } = entry;
      if (keyOf(entry) !== key || predictedAtMs < sinceMs) continue;
      predictions += entry.rows;
      const labels = labelsOf(entry);
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
    for (const entry of this.requests.values()) {
      const { batch } = 'parts' in entry ? (entry.parts[0] as JoinedPart) : entry;
      seen.set(batch.key, { model: batch.model, version: batch.version });
    }
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

  private forget(id: string, request: JoinedEntry): void {
    this.requests.delete(id);
    this.rows -= request.rows;
    this.rememberEvicted(id, request.client);
  }

  /** Remembers a request id as past the horizon, with its client (the newest EVICTED_MEMORY of them). */
  private rememberEvicted(id: string, client: number): void {
    this.evicted.add(id, client);
  }

  /** The index of a client id, interned on first sight; NO_CLIENT for none. */
  private clientIndex(client: string | undefined): number {
    if (client === undefined) return NO_CLIENT;
    let index = this.clients.get(client);
    if (index === undefined) {
      index = this.clients.size + 1;
      this.clients.set(client, index);
    }
    return index;
  }

  /** Whether a label naming `client` (undefined: names none, joins any) may join a request scored by `scoredBy`. */
  private mayLabel(scoredBy: number, client: string | undefined): boolean {
    return client === undefined || scoredBy === NO_CLIENT || this.clients.get(client) === scoredBy;
  }

  /**
   * The rows holding a prediction id's row (and the row among them), or why there are none; a request another
   * client scored is refused before its rows are looked at.
   */
  private locate(
    predictionId: string,
    client?: string,
  ): { ok: true; rows: JoinedRows; row: number; predictedAtMs: number } | (LabelOutcome & { ok: false }) {
    const dash = predictionId.lastIndexOf('-');
    const requestId = predictionId.slice(0, dash);
    const row = Number(predictionId.slice(dash + 1));
    const entry = this.requests.get(requestId);
    if (entry === undefined) return this.notKept(predictionId, requestId, client);
    if (!this.mayLabel(entry.client, client)) return refusal('other_client', unknownMessage(predictionId));
    const requestRows = 'parts' in entry ? entry.requestRows : entry.rows;
    if (dash < 1 || !Number.isInteger(row) || row < 0 || row >= requestRows) {
      return refusal('bad_row', `prediction ${predictionId}: request ${requestId} has ${requestRows} rows`);
    }
    const { predictedAtMs } = entry;
    if (!('parts' in entry)) return { ok: true, rows: entry, row, predictedAtMs };
    const part = entry.parts.find((p) => row >= p.firstRow && row < p.firstRow + p.rows);
    // The part holding the row has not come (yet), or was forgotten while the others were kept.
    if (part === undefined) return this.notKept(predictionId, requestId);
    return { ok: true, rows: part, row: row - part.firstRow, predictedAtMs };
  }

  /**
   * The refusal of a prediction id whose rows are not kept: forgotten past the horizon (answered as unknown to a
   * client that did not score it), or never seen.
   */
  private notKept(predictionId: string, requestId: string, client?: string): LabelOutcome & { ok: false } {
    const scoredBy = this.evicted.clientOf(requestId);
    if (scoredBy === undefined) return refusal('unknown', unknownMessage(predictionId));
    if (!this.mayLabel(scoredBy, client)) return refusal('other_client', unknownMessage(predictionId));
    return refusal('expired', `prediction ${predictionId} is older than the monitor keeps predictions`);
  }

  private count(key: string, outcome: LabelOutcome): void {
    const counts = this.counts.get(key) ?? emptyCounts();
    this.counts.set(key, counts);
    if (outcome.ok) counts.joined++;
    else if (outcome.refusal === 'bad_row') counts.unknown++;
    else counts[outcome.refusal]++;
  }
}

/**
 * Whether a logged entry adds to a known request: only a part of a request known in parts whose rows no known part
 * holds (a part delivered again, or a whole request offered again, adds nothing).
 */
function isNewPart(known: JoinedEntry, request: LoggedRequestRows): boolean {
  if (!('parts' in known) || !isPart(request)) return false;
  const first = firstRowOf(request);
  return known.parts.every((p) => first + request.rows <= p.firstRow || p.firstRow + p.rows <= first);
}

/** Visits the rows of a request: all of it, or each part of it known. */
function forEachRows(entry: JoinedEntry, visit: (rows: JoinedRows) => void): void {
  if ('parts' in entry) for (const part of entry.parts) visit(part);
  else visit(entry);
}

/** The version key of a request's rows. */
function keyOf(entry: JoinedEntry): string {
  return ('parts' in entry ? (entry.parts[0] as JoinedPart) : entry).batch.key;
}

/** A request's labels, one per row (-1 where unlabelled, or in a part not known), copied. */
function labelsOf(entry: JoinedEntry): Int8Array {
  if (!('parts' in entry)) return entry.batch.truth.slice(entry.offset, entry.offset + entry.rows);
  const labels = new Int8Array(entry.requestRows).fill(-1);
  for (const p of entry.parts) labels.set(p.batch.truth.subarray(p.offset, p.offset + p.rows), p.firstRow);
  return labels;
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

/** The answer for an id never logged, and for one another client scored: the same words, so they cannot be told apart. */
function unknownMessage(predictionId: string): string {
  return `no prediction ${predictionId} was logged (or it was not sampled)`;
}

function emptyCounts(): LabelCounts {
  return { joined: 0, unknown: 0, expired: 0, duplicate: 0, other_model: 0, other_client: 0 };
}

/**
 * The newest `capacity` ids added, with the client index of each: a ring of them beside a map, so forgetting the
 * oldest is O(1) (deleting the first of a Map through its iterator slows down as deleted slots pile up: minutes for
 * a replay that forgets millions).
 */
class RecentIds {
  private readonly ring: (string | undefined)[] = [];
  private next = 0;
  private readonly ids = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  /** Remembers `id` and its client, forgetting the oldest when full (an id already held is not added twice). */
  add(id: string, client: number): void {
    if (this.ids.has(id)) return;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
    this.ids.set(id, client);
  }

  /** The client index `id` was remembered with, or undefined when it is not among the newest held. */
  clientOf(id: string): number | undefined {
    return this.ids.get(id);
  }
}
