import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FeedbackItem } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import {
  type FeedbackOutcome,
  type FeedbackProblem,
  FeedbackUnavailable,
  feedbackOutcome,
  withClient,
  withModel,
} from '../domain/feedback.js';
import type { FeedbackSink } from '../domain/ports.js';
import { BadScoringRequest } from '../domain/scoring-rules.js';
import { BodyTooLarge, ClientWentAway, EncodedBody, readBody } from './body.js';
import { notJsonMessage, readsAsJson } from './json-content-type.js';
import { sendReply } from './scoring-handler.js';
import { MalformedJson, parseJson, type Reply } from './scoring-protocols.js';
import { FeedbackBodySchema } from './wire/feedback-body.js';
import { firstProblem } from './wire/zod-problems.js';

/** What `POST /feedback` needs: the monitor (over NATS), the served model's name and the body limit. */
export interface FeedbackDeps {
  readonly sink: FeedbackSink;
  /** MODEL_NAME: added to every label that names no model. */
  readonly modelName: string;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
}

/**
 * The answer to each outcome of the monitor's reply (the body is the reply itself): all stored 202, some refused
 * 207 (Multi-Status: the `errors` say which), all refused 422, all refused for unknown prediction ids 404.
 */
export const FEEDBACK_STATUS: Readonly<Record<FeedbackOutcome, number>> = {
  accepted: 202,
  partial: 207,
  rejected: 422,
  unknown_ids: 404,
};

const UNAVAILABLE: Readonly<Record<FeedbackProblem, { status: number; code: string }>> = {
  no_monitor: { status: 503, code: 'MONITOR_UNAVAILABLE' },
  timeout: { status: 504, code: 'MONITOR_TIMEOUT' },
  bad_reply: { status: 502, code: 'BAD_MONITOR_REPLY' },
  too_large: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
};

/**
 * `POST /feedback`: validates the labels, names the model on each and the caller's `client` id (when tokens are
 * configured: the monitor then joins them only to that client's predictions), forwards them to the monitor, answers
 * its reply.
 */
export async function handleFeedback(
  req: IncomingMessage,
  res: ServerResponse,
  deps: FeedbackDeps,
  client: string | undefined,
): Promise<void> {
  const contentType = req.headers['content-type'] ?? '';
  if (!readsAsJson(contentType)) {
    sendReply(res, error(415, 'UNSUPPORTED_MEDIA_TYPE', notJsonMessage(contentType)), true);
    return;
  }
  try {
    const body = parseJson(await readBody(req, deps.maxBodyBytes));
    // A text label ("yes") goes as it is: the monitor maps it by the version that scored the prediction.
    const labels = validateFeedback(body);
    const reply = await deps.sink.send(withClient(withModel(labels, deps.modelName), client));
    sendReply(res, { status: FEEDBACK_STATUS[feedbackOutcome(reply)], body: reply }, false);
  } catch (err) {
    const reply = failure(err, deps.logger);
    if (reply !== undefined) sendReply(res, reply, err instanceof BodyTooLarge || err instanceof EncodedBody);
  }
}

/** The labels of a JSON body, or BadScoringRequest naming the first problem and where it is. */
function validateFeedback(body: unknown): FeedbackItem | FeedbackItem[] {
  refuseOwnClient(body);
  const parsed = FeedbackBodySchema.safeParse(body);
  if (!parsed.success) throw new BadScoringRequest(firstProblem(parsed.error));
  return parsed.data;
}

const OWN_CLIENT =
  'is set by the predictor from the bearer token the request comes with (a label counts only for predictions scored with the same token): leave it out';

/** A label that names its `client` itself is refused, whatever its value: only the predictor names it. */
function refuseOwnClient(body: unknown): void {
  const items: unknown[] = Array.isArray(body) ? body : [body];
  const at = items.findIndex((item) => typeof item === 'object' && item !== null && Object.hasOwn(item, 'client'));
  if (at < 0) return;
  throw new BadScoringRequest(`${Array.isArray(body) ? `[${at}].client` : 'client'}: ${OWN_CLIENT}`);
}

const error = (status: number, code: string, message: string, headers?: Record<string, string>): Reply => ({
  status,
  body: { error: { code, message } },
  ...(headers === undefined ? {} : { headers }),
});

function failure(err: unknown, logger: Logger): Reply | undefined {
  if (err instanceof BadScoringRequest) return error(400, 'BAD_REQUEST', err.message);
  if (err instanceof MalformedJson) return error(400, 'MALFORMED_JSON', err.message);
  if (err instanceof BodyTooLarge) return error(413, 'PAYLOAD_TOO_LARGE', err.message);
  if (err instanceof EncodedBody) return error(415, 'UNSUPPORTED_MEDIA_TYPE', err.message);
  if (err instanceof FeedbackUnavailable) {
    const { status, code } = UNAVAILABLE[err.problem];
    if (err.problem === 'bad_reply') logger.warn({ err }, 'the monitor answered feedback with something unreadable');
    return error(status, code, err.message, status === 503 ? { 'retry-after': '5' } : undefined);
  }
  if (err instanceof ClientWentAway) return undefined;
  logger.error({ err }, 'unexpected error while forwarding feedback');
  return error(500, 'INTERNAL', 'internal error');
}
