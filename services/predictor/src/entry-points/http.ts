import type { IncomingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import { FeedbackUnavailable } from '../domain/feedback.js';
import type { FeedbackSink, PredictionLog } from '../domain/ports.js';
import { createAccessCheck } from './auth.js';
import { type FeedbackDeps, handleFeedback } from './feedback-handler.js';
import { createHostGuard } from './host-guard.js';
import type { HttpDeps } from './http-deps.js';
import { createReadApp, NOT_FOUND_BODY } from './read-routes.js';
import { createRequestIds } from './request-ids.js';
import { matchRoute, originForm, type RouteMatch, UNMATCHED } from './routes.js';
import { handleScoring, sendReply } from './scoring-handler.js';
import { SCORING_PROTOCOLS } from './scoring-protocols.js';

const NO_LOG: PredictionLog = { record: () => undefined };
const NO_MONITOR: FeedbackSink = {
  send: () => Promise.reject(new FeedbackUnavailable('no_monitor', 'no monitor is connected to this predictor')),
};

/** The status a request is counted under when its client left before any answer (nginx's convention). */
const CLIENT_CLOSED_REQUEST = 499;

/**
 * The predictor's request listener. Scoring routes (/predict, /invocations, /v2/.../infer) and /feedback run on a
 * framework-free fast path; the read-only routes (health, metadata, metrics, OpenAPI, docs) go to an express app.
 * Metrics, the Host check (PREDICTOR_ALLOWED_HOSTS), 405 and bearer-token checks happen here, once, for all; the
 * token's client id goes with the request to the prediction log and to the labels of /feedback.
 */
export function createHttpListener(deps: HttpDeps): RequestListener {
  const readApp = createReadApp(deps);
  const mayAccess = createAccessCheck(deps.auth);
  const refusedHost = createHostGuard(deps.allowedHosts, deps.logger);
  const ports = { metrics: deps.metrics, log: deps.predictionLog ?? NO_LOG };
  const scoringDeps = { ...deps, requestIds: createRequestIds(deps.requestIdPrefix), ports };
  const feedbackDeps: FeedbackDeps = {
    sink: deps.feedback?.sink ?? NO_MONITOR,
    modelName: deps.feedback?.modelName ?? '',
    maxBodyBytes: deps.limits.maxBodyBytes,
    logger: deps.logger,
  };
  return (req, res) => {
    const url = originForm(req.url ?? '/');
    const route = url === undefined ? UNMATCHED : matchRoute(req.method ?? 'GET', pathOf(url));
    const done = deps.metrics.startRequest(route.endpoint);
    // A client that left before any answer is counted as 499 (nginx's "client closed request"), not as 200.
    res.once('close', () => done(res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST));
    const foreignHost = refusedHost(req);
    if (foreignHost !== undefined) {
      refuse(res, route, foreignHost);
      return;
    }
    if (url === undefined) {
      const message = 'the request target must be a path such as /predict (no fragment)';
      sendReply(res, { status: 400, body: { error: { code: 'BAD_REQUEST', message } } }, true);
      return;
    }
    req.url = url;
    if (route.allowed !== undefined) {
      const message = `${req.method} is not allowed here; use ${route.allowed.join(' or ')}`;
      refuse(res, route, { status: 405, code: 'METHOD_NOT_ALLOWED', message }, { allow: route.allowed.join(', ') });
      return;
    }
    if ((route.scoring !== undefined || route.forward !== undefined) && fromAnotherSite(req.headers)) {
      const message =
        'a web page of another site may not post here (Sec-Fetch-Site); call the predictor from a server or a script';
      refuse(res, route, { status: 403, code: 'FORBIDDEN', message });
      return;
    }
    const caller = mayAccess(route.access, req.headers.authorization);
    if (caller === undefined) {
      const message = 'a valid bearer token is required: Authorization: Bearer <token>';
      const challenge = { 'www-authenticate': 'Bearer realm="predictor"' };
      refuse(res, route, { status: 401, code: 'UNAUTHENTICATED', message }, challenge);
      return;
    }
    if (route.unmatched) {
      const without = withoutTrailingSlash(req.method ?? 'GET', url);
      if (without !== undefined) {
        // `/docs/` typed for `/docs`: sent to the route's own path (its page's relative links resolve from there).
        sendReply(res, { status: 308, body: { location: without }, headers: { location: without } }, false);
        return;
      }
      sendReply(res, { status: 404, body: NOT_FOUND_BODY }, false);
      return;
    }
    if (route.scoring !== undefined) {
      void handleScoring(route.scoring, route, req, res, scoringDeps, caller.client);
      return;
    }
    if (route.forward !== undefined) {
      void handleFeedback(req, res, feedbackDeps, caller.client);
      return;
    }
    readApp(req, res);
  };
}

/**
 * Answers a refusal made before any handler (a foreign Host, a wrong method, another site's page, no token), in the
 * error shape of the path's scoring protocol (MLflow's on /invocations, Open Inference's on /v2/…/infer), the native
 * one elsewhere; the connection is closed after it.
 */
function refuse(
  res: ServerResponse,
  route: RouteMatch,
  problem: { status: number; code: string; message: string },
  headers: Readonly<Record<string, string>> = {},
): void {
  const { status, code, message } = problem;
  const reply =
    route.errorShape === undefined
      ? { status, body: { error: { code, message } } }
      : SCORING_PROTOCOLS[route.errorShape].error(status, code, message);
  sendReply(res, { ...reply, headers: { ...reply.headers, ...headers } }, true);
}

/**
 * For a GET or HEAD of a known read route's path with a trailing slash (`/docs/`), the target without it (query
 * kept); undefined otherwise.
 */
export function withoutTrailingSlash(method: string, url: string): string | undefined {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const path = pathOf(url);
  if (path.length < 2 || !path.endsWith('/')) return undefined;
  const trimmed = path.replace(/\/+$/, '');
  const route = matchRoute(method, trimmed);
  if (trimmed === '' || route.unmatched || route.allowed !== undefined) return undefined;
  return `${trimmed}${url.slice(path.length)}`;
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/**
 * Whether a browser sent the request for a page of another site (Sec-Fetch-Site: current browsers send it to
 * loopback and HTTPS origins, not to plain HTTP elsewhere; other clients never): such a page may post a body without
 * asking (no Content-Type, a form, plain text, a beacon), so the scoring routes and /feedback refuse it; the
 * predictor's own /docs page is `same-origin`, and so is a page of another site whose name was made to resolve to
 * this address (DNS rebinding): the Host check (host-guard.ts) refuses that one.
 */
function fromAnotherSite(headers: IncomingHttpHeaders): boolean {
  const site = headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site';
}
