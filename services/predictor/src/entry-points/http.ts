import type { RequestListener } from 'node:http';
import { createAccessCheck } from './auth.js';
import type { HttpDeps } from './http-deps.js';
import { createReadApp } from './read-routes.js';
import { createRequestIds } from './request-ids.js';
import { matchRoute } from './routes.js';
import { handleScoring, sendReply } from './scoring-handler.js';

/**
 * The predictor's request listener. Scoring routes (/predict, /invocations, /v2/.../infer) run on a framework-free
 * fast path; the read-only routes (health, metadata, metrics, OpenAPI, docs) go to an express app. Metrics, 405 and
 * bearer-token checks happen here, once, for both.
 */
export function createHttpListener(deps: HttpDeps): RequestListener {
  const readApp = createReadApp(deps);
  const mayAccess = createAccessCheck(deps.auth);
  const scoringDeps = { ...deps, requestIds: createRequestIds() };
  return (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const route = matchRoute(req.method ?? 'GET', query < 0 ? url : url.slice(0, query));
    const done = deps.metrics.startRequest(route.endpoint);
    res.once('close', () => done(res.statusCode));
    if (route.allowed !== undefined) {
      const message = `${req.method} is not allowed here; use ${route.allowed.join(' or ')}`;
      sendReply(
        res,
        {
          status: 405,
          body: { error: { code: 'METHOD_NOT_ALLOWED', message } },
          headers: { allow: route.allowed.join(', ') },
        },
        true,
      );
      return;
    }
    if (!mayAccess(route.access, req.headers.authorization)) {
      const message = 'a valid bearer token is required: Authorization: Bearer <token>';
      sendReply(
        res,
        {
          status: 401,
          body: { error: { code: 'UNAUTHENTICATED', message } },
          headers: { 'www-authenticate': 'Bearer realm="predictor"' },
        },
        true,
      );
      return;
    }
    if (route.scoring !== undefined) {
      void handleScoring(route.scoring, route, req, res, scoringDeps);
      return;
    }
    readApp(req, res);
  };
}
