import { endianness } from 'node:os';
import {
  base64LengthOfDoubles,
  type LoggedRequest,
  MAX_LOGGED_ROWS,
  MAX_REQUESTS_PER_LOG_MESSAGE,
  PREDICTION_ENCODING,
  PREDICTION_PARTS_ENCODING,
  type PredictionLoggedData,
  RAW_COLUMNS_CODING,
} from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import type { PredictionLog, ScoredRequest } from '../domain/ports.js';
import type { LogDropReason, PredictionLogMetrics } from './metrics.js';

/** Publishes one message and resolves once JetStream stored it (`bus.publishEvent('prediction.logged', …)`). */
export type PublishPrediction = (data: PredictionLoggedData, key: string) => Promise<unknown>;

/** How much the log samples, holds and sends at once. */
export interface PredictionLogOptions {
  /** Share of requests logged, 0 (none) to 1 (all). */
  readonly sampleRate: number;
  /** Bytes the queued requests may keep alive (their feature, probability and label arrays). */
  readonly bufferBytes: number;
  /** Messages published at once, each awaiting its ack. */
  readonly maxInFlight: number;
  /**
   * The largest message the server takes (NATS max_payload): a larger request is logged in parts; one whose single
   * row does not fit is dropped as too_large.
   */
  readonly maxPayload: () => number;
  /**
   * How long a request waits for others before its message is published (Kafka's linger.ms): under steady
   * traffic the requests of that time share one message. A queue of a full message goes at once.
   * @defaultValue 0
   */
  readonly lingerMs?: number;
  /** Requests that may share one message. @defaultValue MAX_REQUESTS_PER_LOG_MESSAGE */
  readonly maxRequestsPerMessage?: number;
  /** @defaultValue Math.random */
  readonly random?: () => number;
}

/** Rows [firstRow, firstRow + rows) of a scored request: all of it, or a part logged in a message of its own. */
export interface RequestRows {
  readonly request: ScoredRequest;
  readonly firstRow: number;
  readonly rows: number;
}

/** A queued request: its first row not yet in a message, its rows stored, and whether a part of it was dropped. */
interface Queued {
  readonly request: ScoredRequest;
  readonly bytes: number;
  next: number;
  stored: number;
  lost: boolean;
}

/** Rows of a queued request taken into a message. */
interface Taken extends RequestRows {
  readonly queued: Queued;
}

/** Room for the envelope and the fields besides the packed arrays and the requests, well over what they take. */
const ENVELOPE_BYTES = 1024;
/**
 * Bytes of a whole request's entry in `requests` besides its id (field names, time, rows, client id: 103 at most),
 * well over what they take: a thousand single-row requests of a wide model must not push their message past the
 * payload limit. A part's entry says a little more, but a part goes alone in its message.
 */
const ENTRY_BYTES = 128;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The prediction log: a bounded FIFO of scored requests (references only) drained by a publisher with up to
 * `maxInFlight` messages awaiting their JetStream ack; requests waiting together share a message. Encoding happens in the publisher, after the answer was sent.
 * A request larger than a message is published in parts, each in a message of its own. A full buffer, a failed
 * publish or a single row over the server's size limit drops that request (or what is left of it) and counts it
 * once; the next message published says how many were dropped before it.
 */
export class BufferedPredictionLog implements PredictionLog {
  private readonly queue = new Fifo<Queued>();
  private bytes = 0;
  private inFlight = 0;
  private droppedSince = 0;
  private scheduled = false;
  private closed = false;
  private trouble: LogDropReason | undefined;
  private readonly idle: (() => void)[] = [];
  private readonly random: () => number;

  constructor(
    private readonly send: PublishPrediction,
    private readonly options: PredictionLogOptions,
    private readonly metrics: PredictionLogMetrics,
    private readonly logger: Logger,
  ) {
    this.random = options.random ?? Math.random;
    metrics.watchLogQueue(() => ({ requests: this.queue.length, bytes: this.bytes, inFlight: this.inFlight }));
  }

  record(request: ScoredRequest): void {
    if (this.closed || !this.sampled()) return;
    const bytes = retainedBytes(request);
    if (this.bytes + bytes > this.options.bufferBytes) {
      this.drop('buffer_full', 1);
      return;
    }
    this.queue.push({ request, bytes, next: 0, stored: 0, lost: false });
    this.bytes += bytes;
    this.schedule();
  }

  /** Stops taking requests and waits (at most `timeoutMs`) until what it holds is published; drops the rest. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.pump();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([new Promise<void>((resolve) => this.onIdle(resolve)), timeout]);
    clearTimeout(timer);
    const left = this.queue.clear();
    this.bytes = 0;
    const lost = lose(left);
    if (lost > 0) this.drop('shutdown', lost);
  }

  private sampled(): boolean {
    const rate = this.options.sampleRate;
    return rate >= 1 || (rate > 0 && this.random() < rate);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const linger = this.options.lingerMs ?? 0;
    const full = this.queue.length >= (this.options.maxRequestsPerMessage ?? MAX_REQUESTS_PER_LOG_MESSAGE);
    if (linger === 0 || full || this.closed) setImmediate(() => this.pump());
    else setTimeout(() => this.pump(), linger).unref();
  }

  private pump(): void {
    this.scheduled = false;
    while (this.inFlight < this.options.maxInFlight) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      this.start(batch);
    }
    if (this.inFlight === 0 && this.queue.length === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /**
   * The next message's requests: the oldest one, and those queued behind it for the same version, columns and
   * coding while they fit one message. Light traffic sends one request per message; under load the waiting ones go
   * together, which is what keeps the log's cost per request small. A request larger than a message goes in parts,
   * each alone in its message, the rest staying first in the queue; one whose single row does not fit is dropped.
   */
  private takeBatch(): Taken[] {
    for (;;) {
      const first = this.queue.peek();
      if (first === undefined) return [];
      const limit = Math.min(MAX_LOGGED_ROWS, rowsThatFit(this.options.maxPayload(), first.request.X.cols));
      if (limit > 0) return this.takeFrom(first, limit);
      this.take();
      this.drop('too_large', lose([first]));
    }
  }

  /**
   * Rows of at most `limit` from the queue's first request on (see takeBatch); the requests after it join while their
   * packed rows and entries fit the message too.
   */
  private takeFrom(first: Queued, limit: number): Taken[] {
    const firstRow = first.next;
    const rows = Math.min(first.request.X.rows - firstRow, limit);
    first.next += rows;
    if (first.next === first.request.X.rows) this.take();
    const batch: Taken[] = [{ queued: first, request: first.request, firstRow, rows }];
    if (rows < first.request.X.rows) return batch; // a part goes alone
    const cols = first.request.X.cols;
    const room = this.options.maxPayload() - 8 * ENVELOPE_BYTES;
    let taken = rows;
    let bytes = requestBytes(first.request, rows, cols);
    const most = this.options.maxRequestsPerMessage ?? MAX_REQUESTS_PER_LOG_MESSAGE;
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || batch.length >= most) break;
      if (!sameShape(next.request, first.request) || taken + next.request.X.rows > limit) break;
      const more = requestBytes(next.request, next.request.X.rows, cols);
      if (bytes + more > room) break;
      this.take();
      batch.push({ queued: next, request: next.request, firstRow: 0, rows: next.request.X.rows });
      taken += next.request.X.rows;
      bytes += more;
    }
    return batch;
  }

  /** Takes the queue's first request out (all its rows are in messages): the memory it holds is no longer counted. */
  private take(): void {
    const first = this.queue.shift();
    if (first !== undefined) this.bytes -= first.bytes;
  }

  private start(batch: Taken[]): void {
    const before = this.droppedSince;
    this.droppedSince = 0;
    const data = packRequests(batch, this.options.sampleRate, before);
    if (packedSize(data) > this.options.maxPayload()) {
      this.fail('too_large', before, batch);
      return;
    }
    this.inFlight++;
    let pending: Promise<unknown>;
    try {
      pending = this.send(data, logKey(data.requests[0]));
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      () => this.settled(() => this.published(batch, data.rows)),
      (err: unknown) => this.settled(() => this.fail('publish_failed', before, batch, err)),
    );
  }

  /**
   * A publish ended. The next ones start once half the slots are free, on the next turn and together, so that NATS
   * writes them to the socket in one go (one write per message costs more than the message).
   */
  private settled(outcome: () => void): void {
    this.inFlight--;
    outcome();
    if (this.inFlight <= this.options.maxInFlight >> 1 || this.closed) this.schedule();
  }

  /** A message stored: a request counts as published once all its parts are, unless one of them was dropped. */
  private published(batch: readonly Taken[], rows: number): void {
    let requests = 0;
    for (const { queued, rows: taken } of batch) {
      queued.stored += taken;
      if (queued.stored === queued.request.X.rows && !queued.lost) requests++;
    }
    this.metrics.logPublished(requests, rows);
    if (this.trouble === undefined) return;
    this.logger.info({ after: this.trouble }, 'prediction log: publishing again');
    this.trouble = undefined;
  }

  /** A message not sent: the drops it carried go to the next one, with its requests not dropped before. */
  private fail(reason: LogDropReason, carried: number, batch: readonly Taken[], err?: unknown): void {
    this.droppedSince += carried;
    this.drop(reason, lose(batch.map((t) => t.queued)), err);
  }

  private drop(reason: LogDropReason, requests: number, err?: unknown): void {
    this.droppedSince += requests;
    this.metrics.logDropped(reason, requests);
    if (this.trouble !== undefined) return;
    this.trouble = reason;
    this.logger.warn(
      { reason, err },
      'prediction log: dropping messages (counted in predictor_prediction_log_dropped_total)',
    );
  }

  private onIdle(resolve: () => void): void {
    if (this.inFlight === 0 && this.queue.length === 0) resolve();
    else this.idle.push(resolve);
  }
}

/**
 * Rows of requests of one version and shape (see sameShape) as `prediction.logged` data: their arrays concatenated,
 * little-endian doubles in base64; raw-coded requests say so in `features_coding`; a part of a request says which
 * (`first_row`, `request_rows`).
 */
export function packRequests(
  requests: readonly RequestRows[],
  sampleRate: number,
  droppedBefore: number,
): PredictionLoggedData {
  const first = requests[0]?.request;
  if (first === undefined) throw new Error('packRequests needs at least one request');
  const cols = first.X.cols;
  const rows = requests.reduce((sum, r) => sum + r.rows, 0);
  const isoTime = lastIsoTime();
  const part = requests.length === 1 && requests[0]!.rows !== first.X.rows; // a part goes alone in its message
  return {
    model: first.model.name,
    version: first.model.version,
    requests: requests.map((r) => loggedRequest(r, isoTime(r.request.scoredAt))),
    rows,
    columns: cols,
    encoding: part ? PREDICTION_PARTS_ENCODING : PREDICTION_ENCODING,
    features: packDoubles(
      requests.map((r) => r.request.X.data.subarray(r.firstRow * cols, (r.firstRow + r.rows) * cols)),
    ),
    ...(first.rawColumns ? { features_coding: RAW_COLUMNS_CODING } : {}),
    probabilities: packDoubles(requests.map((r) => valuesOf(r.request.probabilities, r))),
    labels: packDoubles(requests.map((r) => valuesOf(r.request.labels, r))),
    sample_rate: sampleRate,
    dropped_before: droppedBefore,
  };
}

/**
 * A request's entry in `requests`: the client id it was scored under (when tokens are configured), and for a part
 * of one where it starts and how many rows the whole has.
 */
function loggedRequest(r: RequestRows, predictedAt: string): LoggedRequest {
  const { requestId, client } = r.request;
  const entry: LoggedRequest =
    client === undefined
      ? { request_id: requestId, predicted_at: predictedAt, rows: r.rows }
      : { request_id: requestId, predicted_at: predictedAt, rows: r.rows, client };
  return r.rows === r.request.X.rows ? entry : { ...entry, first_row: r.firstRow, request_rows: r.request.X.rows };
}

/** The key (message id) of a message: its first request's id, with `@<first_row>` for a part (one key per part). */
function logKey(first: LoggedRequest | undefined): string {
  if (first === undefined) return '';
  return first.first_row === undefined ? first.request_id : `${first.request_id}@${first.first_row}`;
}

/**
 * An answer array's values of the rows: the array itself when it has just them (`subarray` would move a small array
 * out of the V8 heap).
 */
function valuesOf(values: Float64Array, r: RequestRows): Float64Array {
  return values.length === r.rows && r.firstRow === 0 ? values : values.subarray(r.firstRow, r.firstRow + r.rows);
}

/** Marks queued requests as dropped; returns how many were not already (a request's drop counts once). */
function lose(queued: readonly Queued[]): number {
  let newly = 0;
  for (const q of queued) {
    if (q.lost) continue;
    q.lost = true;
    newly++;
  }
  return newly;
}

/** ISO text of a time in ms, remembering the last one: requests that share a message mostly share milliseconds. */
function lastIsoTime(): (ms: number) => string {
  let lastMs = Number.NaN;
  let lastText = '';
  return (ms) => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastText = new Date(ms).toISOString();
    }
    return lastText;
  };
}

/** Whether two requests can share a message: same model version, columns and coding. */
function sameShape(a: ScoredRequest, b: ScoredRequest): boolean {
  return (
    a.model.name === b.model.name &&
    a.model.version === b.model.version &&
    a.X.cols === b.X.cols &&
    a.rawColumns === b.rawColumns
  );
}

/**
 * Rows of `cols` features that fit a message of `maxPayload` bytes once packed (features, probability, label); 0
 * when not even one row does.
 */
function rowsThatFit(maxPayload: number, cols: number): number {
  const oneRow = base64LengthOfDoubles(cols) + 2 * base64LengthOfDoubles(1) + ENVELOPE_BYTES;
  if (oneRow > maxPayload) return 0;
  return Math.max(1, Math.floor(((maxPayload - 8 * ENVELOPE_BYTES) * 3) / 4 / 8 / (cols + 2)));
}

/**
 * Arrays of doubles, one after the other, as little-endian bytes in base64. Several arrays are copied into one
 * scratch array with `set` (reused: the base64 text is a copy), which spares a large allocation per message and
 * never asks the small ones for their `.buffer` (that moves a typed array of ≤ 64 bytes out of the V8 heap).
 */
export function packDoubles(parts: readonly Float64Array[]): string {
  const only = parts.length === 1 ? parts[0] : undefined;
  const all = only ?? concatInto(parts);
  const bytes = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  return (LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap64()).toString('base64');
}

let scratch = new Float64Array(0);

/** The parts one after the other in the shared scratch array (a view of it, valid until the next call). */
function concatInto(parts: readonly Float64Array[]): Float64Array {
  const length = parts.reduce((sum, p) => sum + p.length, 0);
  if (scratch.length < length) scratch = new Float64Array(Math.max(length, 2 * scratch.length));
  let offset = 0;
  for (const part of parts) {
    scratch.set(part, offset);
    offset += part.length;
  }
  return scratch.subarray(0, length);
}

/** What a message takes at most: its packed arrays, its requests' entries and the envelope. */
function packedSize(data: PredictionLoggedData): number {
  let entries = 0;
  for (const r of data.requests) entries += ENTRY_BYTES + r.request_id.length;
  return data.features.length + data.probabilities.length + data.labels.length + entries + ENVELOPE_BYTES;
}

/** What `rows` rows of a request add to a message at most: their packed features, probabilities and labels, and its entry. */
function requestBytes(request: ScoredRequest, rows: number, cols: number): number {
  return base64LengthOfDoubles(rows * cols) + 2 * base64LengthOfDoubles(rows) + ENTRY_BYTES + request.requestId.length;
}

/** The memory a queued request keeps alive: the whole buffers behind its arrays. */
function retainedBytes(request: ScoredRequest): number {
  return request.X.data.buffer.byteLength + answerBytes(request.probabilities) + answerBytes(request.labels);
}

/** V8 keeps typed arrays of up to 64 bytes inside the object; reading their `.buffer` would move them out (~1 µs). */
const IN_OBJECT_BYTES = 64;

/**
 * The bytes an answer array keeps alive. The model makes them fresh, one value per row, so a small one is its whole
 * buffer; a view into a larger buffer (offset, or over 64 bytes) is counted by its buffer.
 */
function answerBytes(array: Float64Array): number {
  return array.byteLength <= IN_OBJECT_BYTES && array.byteOffset === 0 ? array.byteLength : array.buffer.byteLength;
}

/** A queue with O(1) shift: an array and a head index, compacted as the head moves on. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.head === this.items.length ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Empties the queue; returns the items it held. */
  clear(): T[] {
    const left = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return left;
  }
}
