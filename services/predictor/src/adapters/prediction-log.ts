import { endianness } from 'node:os';
import { PREDICTION_ENCODING, type PredictionLoggedData } from '@mlops/contracts';
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
  /** The largest message the server takes (NATS max_payload); a bigger one is dropped as too_large. */
  readonly maxPayload: () => number;
  /** @defaultValue Math.random */
  readonly random?: () => number;
}

/** Room for the envelope and the fields besides the packed arrays (ids, names, time), well over what they take. */
const ENVELOPE_BYTES = 1024;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The prediction log: a bounded FIFO of scored requests (references only) drained by a publisher with up to
 * `maxInFlight` messages awaiting their JetStream ack. Encoding happens in the publisher, after the answer was sent.
 * A full buffer, a failed publish or a message over the server's size limit drops that request's message and
 * counts it; the next message published says how many were dropped before it.
 */
export class BufferedPredictionLog implements PredictionLog {
  private readonly queue = new Fifo<{ readonly request: ScoredRequest; readonly bytes: number }>();
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
    this.queue.push({ request, bytes });
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
    if (left > 0) this.drop('shutdown', left);
  }

  private sampled(): boolean {
    const rate = this.options.sampleRate;
    return rate >= 1 || (rate > 0 && this.random() < rate);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.scheduled = false;
    while (this.inFlight < this.options.maxInFlight) {
      const next = this.queue.shift();
      if (next === undefined) break;
      this.bytes -= next.bytes;
      this.start(next.request);
    }
    if (this.inFlight === 0 && this.queue.length === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  private start(request: ScoredRequest): void {
    const before = this.droppedSince;
    this.droppedSince = 0;
    const data = packRequest(request, this.options.sampleRate, before);
    if (packedSize(data) > this.options.maxPayload()) {
      this.fail('too_large', before);
      return;
    }
    this.inFlight++;
    let pending: Promise<unknown>;
    try {
      pending = this.send(data, request.requestId);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      () => this.settled(() => this.published(request.X.rows)),
      (err: unknown) => this.settled(() => this.fail('publish_failed', before, err)),
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

  private published(rows: number): void {
    this.metrics.logPublished(rows);
    if (this.trouble === undefined) return;
    this.logger.info({ after: this.trouble }, 'prediction log: publishing again');
    this.trouble = undefined;
  }

  /** A message not sent: the drops it carried go to the next one, with this request. */
  private fail(reason: LogDropReason, carried: number, err?: unknown): void {
    this.droppedSince += carried;
    this.drop(reason, 1, err);
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

/** One request as `prediction.logged` data: the arrays packed as little-endian doubles in base64. */
export function packRequest(request: ScoredRequest, sampleRate: number, droppedBefore: number): PredictionLoggedData {
  const { rows, cols } = request.X;
  return {
    model: request.model.name,
    version: request.model.version,
    request_id: request.requestId,
    predicted_at: new Date(request.scoredAt).toISOString(),
    rows,
    columns: cols,
    encoding: PREDICTION_ENCODING,
    features: packDoubles(request.X.data, rows * cols),
    probabilities: packDoubles(request.probabilities, rows),
    labels: packDoubles(request.labels, rows),
    sample_rate: sampleRate,
    dropped_before: droppedBefore,
  };
}

/** The first `count` doubles of `values` as little-endian bytes in base64 (no copy on a little-endian machine). */
export function packDoubles(values: Float64Array, count: number): string {
  const bytes = Buffer.from(values.buffer, values.byteOffset, count * 8);
  return (LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap64()).toString('base64');
}

function packedSize(data: PredictionLoggedData): number {
  return data.features.length + data.probabilities.length + data.labels.length + ENVELOPE_BYTES;
}

/** The memory a queued request keeps alive: the whole buffers behind its arrays. */
function retainedBytes(request: ScoredRequest): number {
  return request.X.data.buffer.byteLength + request.probabilities.buffer.byteLength + request.labels.buffer.byteLength;
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

  /** Empties the queue; returns how many items it held. */
  clear(): number {
    const count = this.length;
    this.items = [];
    this.head = 0;
    return count;
  }
}
