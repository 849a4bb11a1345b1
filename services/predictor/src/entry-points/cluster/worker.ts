import { connectBus } from '@mlops/bus';
import type { Logger } from '@mlops/service-kit';
import type { PredictorConfig } from '../../config.js';
import { createPredictor } from '../../service.js';
import { isMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

/** The IPC channel to the primary (`process` in a cluster worker). */
type Channel = Pick<NodeJS.Process, 'on' | 'once' | 'send' | 'exit'>;

const IDENTITY_TIMEOUT_MS = 10_000;
const METRICS_TIMEOUT_MS = 5_000;
/** How often a worker sends the primary its metrics unasked (what a killed worker counted is lost for this long). */
const METRICS_PUSH_MS = 1_000;
/** Past this a drain gives up and the worker exits 1 (the primary kills it at 15 s anyway). */
const DRAIN_TIMEOUT_MS = 12_000;

/**
 * Runs one worker of a multi-process predictor until the primary (or a signal) says drain: asks its identity, starts
 * the predictor with its own NATS connection and durable consumer, answers the primary's metrics collections (and
 * sends its metrics every second unasked, so a SIGKILL loses at most that much of its counts), and
 * on SIGTERM, SIGINT, the primary's shutdown or the primary's loss stops (stop accepting, finish in-flight requests,
 * flush the prediction log, close NATS) and exits 0, or 1 when that failed. A fatal error does the same with 1.
 */
export async function runWorker(
  config: PredictorConfig,
  rootLogger: Logger,
  channel: Channel = process,
): Promise<void> {
  const post = (message: WorkerMessage) => {
    channel.send?.(message, undefined, undefined, () => undefined);
  };
  const metrics = metricsRequests(post);
  let identify: (message: Extract<PrimaryMessage, { type: 'predictor:identity' }>) => void = () => undefined;
  let collect: (id: number) => void = () => undefined;
  let asked: { reason: string; err?: unknown } | undefined;
  let unidentified: (() => void) | undefined;
  let unconnected: (() => void) | undefined;
  let drain = (reason: string, err?: unknown) => {
    asked ??= { reason, err };
    unidentified?.(); // asked to stop before it had an identity: nothing started, nothing to drain
    unconnected?.(); // asked to stop while waiting for NATS: nothing started either
  };
  channel.on('message', (message: unknown) => {
    if (!isMessage<PrimaryMessage>(message)) return;
    if (message.type === 'predictor:identity') identify(message);
    else if (message.type === 'predictor:metrics-collect') collect(message.id);
    else if (message.type === 'predictor:metrics-reply') metrics.answered(message);
    else drain('shutdown from the primary');
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) channel.on(signal, () => drain(signal));
  channel.once('disconnect', () => drain('the primary is gone'));
  channel.once('uncaughtException', (err: Error) => drain('uncaughtException', err));
  channel.once('unhandledRejection', (reason: unknown) => drain('unhandledRejection', reason));

  const identity = await new Promise<Extract<PrimaryMessage, { type: 'predictor:identity' }> | undefined>(
    (resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the primary did not send this worker its identity')),
        IDENTITY_TIMEOUT_MS,
      );
      identify = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
      unidentified = () => {
        clearTimeout(timer);
        resolve(undefined);
      };
      post({ type: 'predictor:hello' });
    },
  );
  if (identity === undefined) return exit(channel, rootLogger, asked?.err === undefined ? 0 : 1);
  unidentified = undefined;
  const logger = rootLogger.child({ worker: identity.slot });
  // connectBus waits as long as no NATS server answers; a stop meanwhile exits at once instead of at the primary's kill.
  unconnected = () => {
    logger.info({ reason: asked?.reason }, 'worker stopped while waiting for NATS');
    exit(channel, logger, asked?.err === undefined ? 0 : 1);
  };
  // The shutdown may have come in the same read as the identity, before there was anything to cut short.
  if ((asked as typeof asked | undefined) !== undefined) return unconnected(); // (a cast: no narrowing below)
  const bus = await connectBus({
    servers: config.natsServers,
    streamReplicas: config.natsStreamReplicas,
    security: config.natsSecurity,
    name: `${config.instance}-w${identity.slot}`,
    logger,
  });
  unconnected = undefined;
  const predictor = createPredictor(config, {
    bus,
    logger,
    worker: {
      slot: identity.slot,
      requestIdPrefix: identity.requestIdPrefix,
      exposition: metrics.exposition,
      awaitModel: identity.peersServing,
    },
  });
  collect = (id) => {
    predictor.metrics.registry.getMetricsAsJSON().then(
      (snapshot) => post({ type: 'predictor:metrics-snapshot', id, snapshot }),
      (err: unknown) => logger.warn({ err }, 'could not read this worker’s metrics'),
    );
  };
  const push = setInterval(() => {
    predictor.metrics.registry.getMetricsAsJSON().then(
      (snapshot) => post({ type: 'predictor:metrics-push', snapshot }),
      () => undefined,
    );
  }, METRICS_PUSH_MS);
  push.unref();
  let stopping: Promise<void> | undefined;
  const starting = predictor.start();
  drain = (reason, err) => {
    if (stopping !== undefined) return;
    clearInterval(push);
    if (err === undefined) logger.info({ reason }, 'worker draining');
    else logger.fatal({ err, reason }, 'fatal error: worker draining');
    const timer = setTimeout(() => exit(channel, logger, 1), DRAIN_TIMEOUT_MS);
    timer.unref();
    // stop() cuts short a start still waiting for a model, and waits for the rest of it.
    stopping = predictor.stop().then(
      () => exit(channel, logger, err === undefined ? 0 : 1),
      (stopErr: unknown) => {
        logger.error({ err: stopErr }, 'worker drain failed');
        exit(channel, logger, 1);
      },
    );
  };
  if (asked !== undefined) drain(asked.reason, asked.err);
  try {
    await starting;
  } catch (err) {
    drain('start failed', err);
    return;
  }
  if (stopping === undefined) post({ type: 'predictor:started', port: predictor.port });
}

/** GET /metrics of a worker: asks the primary for the sum over the workers and waits (5 s at most) for its answer. */
function metricsRequests(post: (message: WorkerMessage) => void) {
  const waiting = new Map<number, (answer: { text?: string; error?: string }) => void>();
  let next = 0;
  return {
    exposition: () =>
      new Promise<string>((resolve, reject) => {
        const id = ++next;
        const timer = setTimeout(() => waiting.get(id)?.({ error: 'no answer in time' }), METRICS_TIMEOUT_MS);
        waiting.set(id, ({ text, error }) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (text !== undefined) resolve(text);
          else reject(new Error(`the primary could not sum the workers' metrics: ${error ?? 'no answer'}`));
        });
        post({ type: 'predictor:metrics-request', id });
      }),
    answered: (reply: Extract<PrimaryMessage, { type: 'predictor:metrics-reply' }>) => waiting.get(reply.id)?.(reply),
  };
}

function exit(channel: Channel, logger: Logger, code: number): void {
  logger.flush(() => channel.exit(code));
}
