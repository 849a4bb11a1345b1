import { setTimeout as sleep } from 'node:timers/promises';
import { MlflowUnavailableError } from './errors.js';

/** Options of {@link holdWhileUnavailable}. */
export interface HoldOptions {
  /** Aborted when the consumer stops: the wait ends and the last error is thrown (the event goes back). */
  readonly signal: AbortSignal;
  /** Told about each wait, for the log. */
  readonly onWait: (err: MlflowUnavailableError, delayMs: number) => void;
  /** @defaultValue 1000 */
  readonly baseDelayMs?: number;
  /** @defaultValue 10000 */
  readonly maxDelayMs?: number;
}

/**
 * Runs an idempotent event handler again while MLflow is unavailable (its client gave up retrying), waiting 1 s,
 * 2 s, 4 s … up to 10 s in between (so it is back at work soon after MLflow). The event is held meanwhile (the bus heartbeat keeps it), so an outage of any
 * length costs no delivery attempt and nothing is dead-lettered for it. Other errors are thrown at once.
 */
export async function holdWhileUnavailable(work: () => Promise<void>, options: HoldOptions): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof MlflowUnavailableError) || options.signal.aborted) throw err;
      const delayMs = Math.min((options.baseDelayMs ?? 1000) * 2 ** (attempt - 1), options.maxDelayMs ?? 10_000);
      options.onWait(err, delayMs);
      await sleep(delayMs, undefined, { signal: options.signal }).catch(() => {
        throw err;
      });
    }
  }
}
