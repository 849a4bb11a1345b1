import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus, ConsumerHandle } from '@mlops/bus';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { createLogger, type Logger, type Service } from '@mlops/service-kit';
import { createFeedbackForwarder } from './adapters/feedback-forwarder.js';
import { createPredictorMetrics, type PredictorMetrics } from './adapters/metrics.js';
import { ModelLoader } from './adapters/model-loader.js';
import { createPredictionLog, provisionPredictionLog } from './adapters/prediction-stream.js';
import { isLoopbackHost } from './allowed-hosts.js';
import type { PredictorConfig } from './config.js';
import { ChampionWatch } from './domain/champion-watch.js';
import { ModelReloader } from './domain/reloader.js';
import { ModelSlot } from './domain/served-model.js';
import { createHttpListener } from './entry-points/http.js';
import {
  consumeModelEvents,
  modelEventsDurable,
  provisionModelEvents,
  publishLoadFailed,
} from './entry-points/model-events.js';
import { closeServer, createHttpServer, listen } from './entry-points/server.js';

/** The running predictor: its HTTP port (0 in config means any) and the served model. */
export interface Predictor extends Service {
  readonly port: number;
  readonly slot: ModelSlot;
  readonly metrics: PredictorMetrics;
}

/** How often a replacement worker looks whether it holds a model yet. */
const MODEL_WAIT_STEP_MS = 200;
/** How long a first worker waits for its first read of the champion before it listens all the same. */
const FIRST_TRY_WAIT_MS = 5000;

/** `work`, or FIRST_TRY_WAIT_MS, whichever ends first (the timer is cleared: it never holds a drained worker). */
async function firstTry(work: Promise<unknown>): Promise<void> {
  const waited = new AbortController();
  const timeout = sleep(FIRST_TRY_WAIT_MS, undefined, { signal: waited.signal }).catch(() => undefined);
  try {
    await Promise.race([work, timeout]);
  } finally {
    waited.abort();
  }
}

/** What a worker of a multi-process predictor (PREDICTOR_WORKERS > 1) gets from its primary. */
export interface WorkerRole {
  /** 1..PREDICTOR_WORKERS, kept by a restarted worker: names its durable consumer of model events. */
  readonly slot: number;
  /** Its prediction ids' prefix, unique among the primary's workers (see workerIdPrefix). */
  readonly requestIdPrefix: string;
  /** GET /metrics: the exposition summed over every worker. */
  readonly exposition: () => Promise<string>;
  /**
   * Other workers serve already (this one replaces a worker that died): it joins the shared port only once it holds
   * a model, instead of answering its share of the connections 503 while MLflow cannot be read.
   */
  readonly awaitModel?: boolean;
}

/** Creates the predictor (one process, or one worker with `deps.worker`); nothing connects or listens until start(). */
export function createPredictor(
  config: PredictorConfig,
  deps: { bus: Bus; logger?: Logger; mlflow?: MlflowClient; worker?: WorkerRole },
): Predictor {
  const logger = deps.logger ?? createLogger({ service: 'predictor', level: config.logLevel });
  const mlflow = deps.mlflow ?? createMlflowClient(config.mlflow);
  const slot = new ModelSlot();
  const loader = new ModelLoader(mlflow, config.modelName, config.modelAlias);
  const metrics = createPredictorMetrics();
  const reloader = new ModelReloader(slot, (v) => loader.load(v), logger.child({ module: 'reload' }), {
    loaded: (model) => metrics.modelLoaded(model),
    failed: (version, err) => {
      metrics.modelLoadFailed();
      void publishLoadFailed(deps.bus, { config, version, err, serving: slot.model?.version ?? null }, logger);
    },
  });
  const followChampion = (reason: string) =>
    reloader.follow(async () => (await loader.championVersion())?.version ?? null, reason);
  const watch = new ChampionWatch(
    { follow: followChampion, hasModel: () => slot.model !== undefined },
    config.pollIntervalMs,
    logger.child({ module: 'champion' }),
  );
  const predictionLog = createPredictionLog(deps.bus, config.predictionLog, metrics, logger.child({ module: 'log' }));
  const durable = modelEventsDurable(config.instance, deps.worker?.slot);
  let server: Server | undefined;
  let consumer: ConsumerHandle | undefined;
  let starting: Promise<void> | undefined;
  let stopped = false;
  const stopping = new AbortController();
  /** `work`, or less once stop() is called: a first read of the champion (retried MLflow calls) never holds a stop. */
  const unlessStopped = (work: Promise<unknown>) =>
    Promise.race([work, new Promise((resolve) => stopping.signal.addEventListener('abort', resolve))]);
  /** Resolves once a model is served, or the predictor is stopping (the watch keeps trying meanwhile). */
  const untilModel = async () => {
    if (slot.model === undefined && !stopped) logger.warn('peers serve and this worker has no model yet: waiting');
    while (slot.model === undefined && !stopped) await sleep(MODEL_WAIT_STEP_MS);
  };
  const startOnce = async () => {
    await provisionModelEvents(deps.bus, durable);
    await provisionPredictionLog(deps.bus, config.predictionLog);
    consumer = await consumeModelEvents(
      deps.bus,
      durable,
      { name: config.modelName, alias: config.modelAlias },
      followChampion,
      logger.child({ module: 'model-events' }),
    );
    const listener = createHttpListener({
      slot,
      limits: { maxBodyBytes: config.maxBodyBytes, maxRows: config.maxRows },
      auth: config.auth,
      allowedHosts: config.allowedHosts,
      metrics,
      readinessProblem: () => watch.problem ?? reloader.lastFailure,
      logger: logger.child({ module: 'http' }),
      predictionLog,
      feedback: { sink: createFeedbackForwarder(deps.bus, config.feedbackTimeoutMs), modelName: config.modelName },
      ...(deps.worker === undefined
        ? {}
        : { requestIdPrefix: deps.worker.requestIdPrefix, exposition: deps.worker.exposition }),
    });
    // A worker joins the shared port only after its first try at the champion (a replacement, only once it holds a
    // model): connections go to every listening worker, and one without a model would answer 503. A first worker
    // waits for that try FIRST_TRY_WAIT_MS at most: with MLflow hung, no port at all would look dead (the local stack
    // restarts a predictor whose /health does not answer), where 503 says why; the try goes on behind.
    if (deps.worker !== undefined) await unlessStopped(firstTry(watch.start()));
    if (deps.worker?.awaitModel) await untilModel();
    if (stopped) return;
    server = await listen(createHttpServer(listener, config.requestTimeoutMs), config.port, config.host);
    if (deps.worker === undefined) await unlessStopped(watch.start());
    logger.info(
      { port: (server.address() as AddressInfo).port, model: slot.model?.version ?? null },
      'predictor started',
    );
    if (config.auth.tokens.length === 0 && !isLoopbackHost(config.host) && (deps.worker?.slot ?? 1) === 1) {
      logger.warn(
        { host: config.host },
        'no PREDICTOR_AUTH_TOKENS: anyone who reaches this address can score, read the model and send labels',
      );
    }
  };
  return {
    slot,
    metrics,
    get port() {
      return (server?.address() as AddressInfo | null)?.port ?? 0;
    },
    async start() {
      starting ??= startOnce();
      await starting;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      stopping.abort();
      watch.stop();
      await starting?.catch(() => undefined);
      // Closing HTTP and flushing the log do not wait for a model load in flight (the consumer's handler).
      const served = (async () => {
        if (server !== undefined) await closeServer(server);
        await predictionLog.close(config.predictionLog.flushTimeoutMs);
      })();
      await Promise.all([consumer?.stop(), served]);
      await deps.bus.close();
      logger.info('predictor stopped');
    },
  };
}
