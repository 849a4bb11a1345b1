import { type Bus, ReplyError, requestReply } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import { FeedbackUnavailable } from '../domain/feedback.js';
import type { FeedbackSink } from '../domain/ports.js';

/** The monitor over NATS: labels go out as a `feedback.received` request, its reply comes back checked. */
export function createFeedbackForwarder(bus: Bus, timeoutMs: number): FeedbackSink {
  return {
    async send(labels) {
      const body = JSON.stringify(labels);
      const limit = bus.connection.info?.max_payload;
      const size = Buffer.byteLength(body);
      if (limit !== undefined && size > limit) {
        const message = `the labels take ${size} bytes, more than one NATS message carries (${limit}): send smaller batches`;
        throw new FeedbackUnavailable('too_large', message);
      }
      try {
        return await requestReply(bus.connection, SUBJECTS.feedbackReceived, body, { timeoutMs });
      } catch (err) {
        throw unavailable(err, timeoutMs);
      }
    },
  };
}

function unavailable(err: unknown, timeoutMs: number): FeedbackUnavailable {
  const cause = { cause: err };
  if (err instanceof ReplyError)
    return new FeedbackUnavailable('bad_reply', `the monitor's reply: ${err.message}`, cause);
  const text = describe(err);
  if (/no responders/i.test(text)) {
    const message = `the monitor is not running: nothing answers ${SUBJECTS.feedbackReceived}; start the monitor and retry`;
    return new FeedbackUnavailable('no_monitor', message, cause);
  }
  if (/timeout/i.test(text)) {
    return new FeedbackUnavailable('timeout', `the monitor did not answer within ${timeoutMs} ms; retry later`, cause);
  }
  return new FeedbackUnavailable('no_monitor', `the monitor cannot be reached over NATS (${text}); retry later`, cause);
}

/** The error's name and message, and its cause's (nats.js wraps "no responders" in a RequestError). */
function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { name?: string; message?: string } } | undefined;
  return [e?.name, e?.message, e?.cause?.name, e?.cause?.message].filter((s) => s !== undefined).join(': ');
}
