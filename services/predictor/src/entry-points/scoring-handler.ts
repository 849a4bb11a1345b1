import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@mlops/service-kit';
import type { PredictorMetrics } from '../adapters/metrics.js';
import { type ScoringPorts, score } from '../domain/scoring.js';
import { BadScoringRequest, type ScoringLimits } from '../domain/scoring-rules.js';
import type { ModelSlot } from '../domain/served-model.js';
import { BodyTooLarge, ClientWentAway, EncodedBody, readBody } from './body.js';
import type { RouteMatch } from './routes.js';
import { MalformedJson, type Reply, SCORING_PROTOCOLS, type ScoringProtocol } from './scoring-protocols.js';

/** What every scoring request needs. */
export interface ScoringDeps {
  readonly slot: ModelSlot;
  readonly limits: ScoringLimits & { readonly maxBodyBytes: number };
  readonly metrics: PredictorMetrics;
  readonly logger: Logger;
  /** Makes each request's id (the prefix of its prediction ids). */
  readonly requestIds: () => string;
  /** Where score() reports: the metrics and the prediction log. */
  readonly ports: ScoringPorts;
}

/**
 * Serves one scoring request on the fast path (no framework): read, validate, score, answer in the protocol's shape;
 * the request is logged under `client`, the caller's client id (undefined without tokens).
 */
export async function handleScoring(
  kind: keyof typeof SCORING_PROTOCOLS,
  route: RouteMatch,
  req: IncomingMessage,
  res: ServerResponse,
  deps: ScoringDeps,
  client: string | undefined,
): Promise<void> {
  const protocol = SCORING_PROTOCOLS[kind];
  const served = deps.slot.model;
  try {
    const contentType = req.headers['content-type'] ?? '';
    const early =
      served === undefined
        ? noModel(protocol)
        : (protocol.refuseContentType(contentType) ?? protocol.refuseModel(served, route));
    if (early !== undefined || served === undefined) {
      deps.metrics.countFailed(served);
      sendReply(res, early ?? noModel(protocol), true);
      return;
    }
    const body = await readBody(req, deps.limits.maxBodyBytes);
    const parsed = protocol.parse({ served, body, contentType, limits: deps.limits });
    const scored = score(served, parsed.X, deps.ports, deps.requestIds(), client, parsed.rawCodes);
    sendReply(res, { status: 200, body: protocol.answer(served, scored, parsed) }, false);
  } catch (err) {
    // Nobody to answer, and no failure of the inference: the client left mid-body.
    if (err instanceof ClientWentAway) return;
    deps.metrics.countFailed(served);
    const reply = failure(protocol, err, deps.logger);
    if (reply !== undefined) sendReply(res, reply, reply.status === 413 || reply.status === 415);
  }
}

function noModel(protocol: ScoringProtocol): Reply {
  const reply = protocol.error(503, 'NO_MODEL', 'no model is loaded yet: register one (run a tuning) and retry');
  return { ...reply, headers: { 'retry-after': '5' } };
}

function failure(protocol: ScoringProtocol, err: unknown, logger: Logger): Reply | undefined {
  if (err instanceof BadScoringRequest) {
    return protocol.error(err.status, err.status === 413 ? 'TOO_MANY_ROWS' : 'BAD_REQUEST', err.message);
  }
  if (err instanceof MalformedJson) return protocol.error(400, 'MALFORMED_JSON', err.message);
  if (err instanceof BodyTooLarge) return protocol.error(413, 'PAYLOAD_TOO_LARGE', err.message);
  if (err instanceof EncodedBody) {
    return protocol.refuseEncoding?.(err.message) ?? protocol.error(415, 'UNSUPPORTED_MEDIA_TYPE', err.message);
  }
  logger.error({ err }, 'unexpected error while scoring');
  return protocol.error(500, 'INTERNAL', 'internal error');
}

/** Writes a reply in one go; `closeAfter` drops the connection (the unread rest of a refused body). */
export function sendReply(res: ServerResponse, reply: Reply, closeAfter: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const headers: Record<string, string | number> = {
    'content-type': reply.contentType ?? 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...reply.headers,
  };
  if (closeAfter) headers.connection = 'close';
  res.writeHead(reply.status, headers);
  res.end(text);
}
