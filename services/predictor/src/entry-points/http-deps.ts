import type { Logger } from '@mlops/service-kit';
import type { PredictorMetrics } from '../adapters/metrics.js';
import type { AllowedHosts } from '../allowed-hosts.js';
import type { AuthConfig } from '../config.js';
import type { FeedbackSink, PredictionLog } from '../domain/ports.js';
import type { ScoringLimits } from '../domain/scoring-rules.js';
import type { ModelSlot } from '../domain/served-model.js';

/** Everything the HTTP side needs (the listener, the fast path and the read app). */
export interface HttpDeps {
  readonly slot: ModelSlot;
  readonly limits: ScoringLimits & { readonly maxBodyBytes: number };
  readonly auth: AuthConfig;
  /** The Host header values answered; any other gets 403 on every route (DNS rebinding). */
  readonly allowedHosts: AllowedHosts;
  readonly metrics: PredictorMetrics;
  /** Why no model is served (MLflow unreachable, a failed load), shown by the readiness routes. */
  readonly readinessProblem?: () => string | undefined;
  readonly logger: Logger;
  /** Where every successful scoring call is logged; without it nothing is. */
  readonly predictionLog?: PredictionLog;
  /** `POST /feedback`: the monitor and MODEL_NAME; without it the route answers 503. */
  readonly feedback?: { readonly sink: FeedbackSink; readonly modelName: string };
  /** The prefix of every request id; random per listener without it. */
  readonly requestIdPrefix?: string;
  /** GET /metrics's text (a worker's: summed over the workers); `metrics.registry`'s without it. */
  readonly exposition?: () => Promise<string>;
}
