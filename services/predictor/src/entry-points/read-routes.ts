import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express';
import type { ServedModel } from '../domain/served-model.js';
import { createDocsPage, DOCS_PAGE_HEADERS } from './docs-page.js';
import type { HttpDeps } from './http-deps.js';
import { buildOpenApiDocument, PREDICTOR_VERSION } from './openapi.js';
import { READ_ROUTES, type ReadRouteKey } from './route-table.js';
import { describeModel, oipMetadata } from './wire/model-metadata.js';

/** The answer to a path no route has. */
export const NOT_FOUND_BODY = {
  error: { code: 'NOT_FOUND', message: 'no such route: see GET /docs (or /openapi.json) for the routes served here' },
} as const;

/** The read-only routes of the table (health and readiness, model metadata, metrics, OpenAPI, docs) on express. */
export function createReadApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // The bearer-token check (routes.ts) matches paths exactly: routing must too, or /MODEL and /model/ would slip by it.
  app.enable('case sensitive routing');
  app.enable('strict routing');
  const handlers: Record<ReadRouteKey, RequestHandler> = { ...serviceReads(deps), ...openInferenceReads(deps) };
  for (const route of READ_ROUTES) app.get(route.path.replace(/\{(\w+)\}/g, ':$1'), handlers[route.read]);
  app.use((_req, res) => {
    res.status(404).json(NOT_FOUND_BODY);
  });
  app.use(answerError(deps));
  return app;
}

/** The last handler: an error (a bad percent-escape in the path, …) answered in the usual JSON shape, no stack. */
function answerError({ logger }: HttpDeps): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const { status, message } = (err ?? {}) as { status?: unknown; message?: unknown };
    const clientError = typeof status === 'number' && status >= 400 && status < 500;
    if (!clientError) logger.error({ err, path: req.path }, 'unexpected error while answering a read route');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const reply = clientError
      ? {
          code: status === 400 ? 'BAD_REQUEST' : 'CLIENT_ERROR',
          message: `the request is malformed: ${typeof message === 'string' ? message : 'bad path or query'}`,
        }
      : { code: 'INTERNAL', message: 'internal error' };
    res.status(clientError ? status : 500).json({ error: reply });
  };
}

function serviceReads(deps: HttpDeps) {
  const { slot } = deps;
  const document = buildOpenApiDocument();
  const openapi = JSON.stringify(document);
  const docs = createDocsPage(document.info.title);
  return {
    health: (_req, res) => {
      res.json({ status: 'alive' });
    },
    ready: (_req, res) => {
      const served = slot.model;
      const reason = deps.readinessProblem?.() ?? 'no model loaded yet';
      if (served === undefined) res.status(503).json({ status: 'not ready', reason });
      else res.json({ status: 'ready', model: { name: served.name, version: served.version } });
    },
    model: (_req, res) => {
      const served = slot.model;
      if (served === undefined) noModel(res);
      else res.json(describeModel(served));
    },
    ping: (_req, res) => {
      res
        .status(slot.model === undefined ? 404 : 200)
        .type('text/plain')
        .send('\n');
    },
    version: (_req, res) => {
      res.type('text/plain').send(PREDICTOR_VERSION);
    },
    metrics: async (_req, res) => {
      const { registry } = deps.metrics;
      let text: string;
      try {
        text = await (deps.exposition ?? (() => registry.metrics()))();
      } catch (err) {
        deps.logger.warn({ err }, 'could not gather the metrics');
        res.status(503).json({ error: { code: 'METRICS_UNAVAILABLE', message: String((err as Error).message) } });
        return;
      }
      res.setHeader('content-type', registry.contentType);
      res.send(text);
    },
    openapi: (_req, res) => {
      res.type('application/json').send(openapi);
    },
    docs: (_req, res) => {
      res.set(DOCS_PAGE_HEADERS).send(docs.html);
    },
    docsAsset: (req, res, next) => {
      const file = docs.file(String(req.params.asset));
      if (file === undefined) {
        next();
        return;
      }
      res.set(docs.fileHeaders(file, req.query.v));
      if (req.fresh) res.status(304).end();
      else res.send(file.body);
    },
  } satisfies Partial<Record<ReadRouteKey, RequestHandler>>;
}

function openInferenceReads({ slot }: HttpDeps) {
  return {
    oipServer: (_req, res) => {
      res.json({ name: 'mlops-predictor', version: PREDICTOR_VERSION, extensions: [] });
    },
    oipLive: (_req, res) => {
      res.json({ live: true });
    },
    oipReady: (_req, res) => {
      res.status(slot.model === undefined ? 503 : 200).json({ ready: slot.model !== undefined });
    },
    oipModel: (req, res) => {
      const served = servedAs(slot.model, req.params as Record<string, string | undefined>, res);
      if (served !== undefined) res.json(oipMetadata(served));
    },
    oipModelReady: (req, res) => {
      const served = servedAs(slot.model, req.params as Record<string, string | undefined>, res);
      if (served !== undefined) res.json({ name: served.name, ready: true });
    },
  } satisfies Partial<Record<ReadRouteKey, RequestHandler>>;
}

function servedAs(
  served: ServedModel | undefined,
  params: Record<string, string | undefined>,
  res: Response,
): ServedModel | undefined {
  if (served === undefined) {
    res.status(503).json({ error: 'no model is loaded yet' });
    return undefined;
  }
  const { name, version } = params;
  if (name !== served.name || (version !== undefined && version !== served.version)) {
    const wanted = `${name}${version === undefined ? '' : ` version ${version}`}`;
    res
      .status(404)
      .json({ error: `model ${wanted} is not served here (serving ${served.name} version ${served.version})` });
    return undefined;
  }
  return served;
}

function noModel(res: Response): void {
  res.setHeader('Retry-After', '5');
  res
    .status(503)
    .json({ error: { code: 'NO_MODEL', message: 'no model is loaded yet: register one (run a tuning) and retry' } });
}
