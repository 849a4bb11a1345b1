import type { MetricsSnapshot } from '../../adapters/metrics-aggregation.js';

/** What a worker tells its primary over the cluster IPC channel. */
export type WorkerMessage =
  /** Asks for its identity (sent first: a message sent to a worker before it listens would be lost). */
  | { readonly type: 'predictor:hello' }
  /** start() resolved: the worker serves on `port`. */
  | { readonly type: 'predictor:started'; readonly port: number }
  /** GET /metrics came to this worker: it wants the sum over the workers. */
  | { readonly type: 'predictor:metrics-request'; readonly id: number }
  /** Its own metrics, for the primary's collection `id`. */
  | { readonly type: 'predictor:metrics-snapshot'; readonly id: number; readonly snapshot: MetricsSnapshot }
  /** Its own metrics, sent every second unasked: what it counted stays in the sums if it dies before the next scrape. */
  | { readonly type: 'predictor:metrics-push'; readonly snapshot: MetricsSnapshot };

/** What the primary tells a worker. */
export type PrimaryMessage =
  | {
      readonly type: 'predictor:identity';
      readonly slot: number;
      readonly requestIdPrefix: string;
      /** Other workers serve already: this one joins the port only once it holds a model. */
      readonly peersServing: boolean;
    }
  /** Send your metrics for collection `id`. */
  | { readonly type: 'predictor:metrics-collect'; readonly id: number }
  /** The answer to the worker's metrics request `id`: the summed exposition, or why there is none. */
  | { readonly type: 'predictor:metrics-reply'; readonly id: number; readonly text?: string; readonly error?: string }
  /** Drain: stop accepting, finish in-flight requests, close NATS, exit. */
  | { readonly type: 'predictor:shutdown' };

/** True for a message of ours (cluster and other libraries send theirs on the same channel). */
export function isMessage<M extends { type: string }>(message: unknown): message is M {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { type?: unknown }).type === 'string' &&
    (message as { type: string }).type.startsWith('predictor:')
  );
}
