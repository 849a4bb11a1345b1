import type { Logger } from 'pino';

/** A long-running component with an explicit lifecycle: nothing happens at import or construction. */
export interface Service {
  /** Connects, provisions and begins consuming or listening; rejects if any of that fails. */
  start(): Promise<void>;
  /** Ordered shutdown: stop consuming, finish in-flight work, close HTTP, drain NATS. Idempotent. */
  stop(): Promise<void>;
}

/** Options for {@link runUntilSignalled}. */
export interface RunOptions {
  readonly logger: Logger;
  /** Past this, shutdown gives up and the process exits 1. @defaultValue 20000 */
  readonly shutdownTimeoutMs?: number;
  /** Injected for tests. @defaultValue process */
  readonly processLike?: Pick<NodeJS.Process, 'once' | 'removeListener' | 'exit'>;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Starts the service and stops it on SIGINT/SIGTERM or a fatal error. The other signal during the stop is taken for
 * the same request (a terminal's Ctrl-C reaches the service, then its supervisor's SIGTERM follows) and the stop goes
 * on; the same signal again ends the process at once (Node's default, as each is listened to once). A fatal error
 * during the stop, a failed stop, or a stop slower than the timeout exits 1; a clean stop exits 0. Logs are flushed
 * before exit.
 */
export async function runUntilSignalled(service: Service, options: RunOptions): Promise<void> {
  const proc = options.processLike ?? process;
  const log = options.logger;
  let stopping = false;
  const shutdown = async (reason: string, err?: unknown) => {
    if (stopping && err === undefined) {
      log.warn({ reason }, 'already shutting down: the same signal again exits at once');
      return;
    }
    if (stopping) {
      log.error({ err, reason }, 'fatal error while shutting down: exiting now');
      exit(proc, log, 1);
      return;
    }
    stopping = true;
    if (err === undefined) log.info({ reason }, 'shutting down');
    else log.fatal({ err, reason }, 'fatal error: shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs: options.shutdownTimeoutMs ?? 20_000 }, 'shutdown timed out');
      exit(proc, log, 1);
    }, options.shutdownTimeoutMs ?? 20_000);
    timer.unref();
    try {
      await service.stop();
      clearTimeout(timer);
      exit(proc, log, err === undefined ? 0 : 1);
    } catch (stopErr) {
      log.error({ err: stopErr }, 'shutdown failed');
      exit(proc, log, 1);
    }
  };
  for (const signal of SIGNALS) proc.once(signal, () => void shutdown(signal));
  proc.once('uncaughtException', (err: Error) => void shutdown('uncaughtException', err));
  proc.once('unhandledRejection', (reason: unknown) => void shutdown('unhandledRejection', reason));
  try {
    await service.start();
  } catch (err) {
    await shutdown('start failed', err);
  }
}

function exit(proc: Pick<NodeJS.Process, 'exit'>, log: Logger, code: number): void {
  log.flush(() => proc.exit(code));
}
