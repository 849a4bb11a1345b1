import { type FeedbackItem, type FeedbackReply, refusedLabels } from '@mlops/contracts';

/** Why feedback could not be handed to the monitor: nobody answers, too late, a reply we cannot read, too big. */
export type FeedbackProblem = 'no_monitor' | 'timeout' | 'bad_reply' | 'too_large';

/** Feedback that did not reach the monitor or came back unreadable; nothing is known to be stored. */
export class FeedbackUnavailable extends Error {
  constructor(
    readonly problem: FeedbackProblem,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'FeedbackUnavailable';
  }
}

/** Names `model` on every label that names none, so the monitor can refuse a label for another model's prediction. */
export function withModel(labels: FeedbackItem | FeedbackItem[], model: string): FeedbackItem | FeedbackItem[] {
  const named = (item: FeedbackItem): FeedbackItem => (item.model === undefined ? { ...item, model } : item);
  return Array.isArray(labels) ? labels.map(named) : named(labels);
}

/**
 * Names the caller's client id on every label (the predictor refuses a body that sets `client` itself), so the
 * monitor joins them only to predictions that client scored; without a client id (no tokens) the labels go as they
 * are. A monitor older than `client` refuses labels that carry it: upgrade the monitor before the predictor.
 */
export function withClient(
  labels: FeedbackItem | FeedbackItem[],
  client: string | undefined,
): FeedbackItem | FeedbackItem[] {
  if (client === undefined) return labels;
  const named = (item: FeedbackItem): FeedbackItem => ({ ...item, client });
  return Array.isArray(labels) ? labels.map(named) : named(labels);
}

/** What the monitor did, in one word: `unknown_ids` is a rejection where every refused label names an unknown id. */
export type FeedbackOutcome = FeedbackReply['status'] | 'unknown_ids';

/** The monitor's words for a prediction id it never logged (or a row its request does not have). */
const UNKNOWN_ID = /\bno prediction\b.*\bwas logged\b|\brequest \S+ has \d+ rows\b|\bunknown\b|\bnot found\b/i;

/** Classifies the monitor's reply: `unknown_ids` when every refused label names a prediction id it never logged. */
export function feedbackOutcome(reply: FeedbackReply): FeedbackOutcome {
  if (reply.status !== 'rejected') return reply.status;
  const unknown = (e: { path: string; message: string }) => /prediction_id$/.test(e.path) && UNKNOWN_ID.test(e.message);
  // Refusals past the listed ones cannot be told apart: only a reply listing every refusal can say "unknown ids".
  const allListed = refusedLabels(reply) === reply.errors.length;
  return allListed && reply.errors.length > 0 && reply.errors.every(unknown) ? 'unknown_ids' : 'rejected';
}
