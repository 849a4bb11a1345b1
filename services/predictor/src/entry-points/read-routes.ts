import express, { type Express, type Response } from 'express';
import type { ServedModel } from '../domain/served-model.js';
import { renderDocsPage } from './docs-page.js';
import type { HttpDeps } from './http.js';
import { buildOpenApiDocument, PREDICTOR_VERSION } from './openapi.js';

/** The read-only routes: health and readiness (ours, MLflow's, OIP's), model metadata, metrics, OpenAPI and docs. */
export function createReadApp(deps: HttpDeps): Express {
  const { slot } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/health', (_req, res) => {
    res.json({ status: 'alive' });
  });
  app.get('/ready', (_req, res) => {
    const served = slot.model;
    const reason = deps.readinessProblem?.() ?? 'no model loaded yet';
    if (served === undefined) res.status(503).json({ status: 'not ready', reason });
    else res.json({ status: 'ready', model: { name: served.name, version: served.version } });
  });
  app.get('/model', (_req, res) => {
    const served = slot.model;
    if (served === undefined) noModel(res);
    else res.json(describeModel(served));
  });
  app.get('/ping', (_req, res) => {
    res
      .status(slot.model === undefined ? 404 : 200)
      .type('text/plain')
      .send('\n');
  });
  app.get('/version', (_req, res) => {
    res.type('text/plain').send(PREDICTOR_VERSION);
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
  const openapi = JSON.stringify(buildOpenApiDocument());
  const docs = renderDocsPage(buildOpenApiDocument());
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  app.get('/docs', (_req, res) => {
    res.type('text/html').send(docs);
  });
  mountOpenInference(app, deps);
  app.use((_req, res) => {
    res.status(404).json({
      error: {
        code: 'NOT_FOUND',
        message: 'no such route: see GET /docs (or /openapi.json) for the routes served here',
      },
    });
  });
  return app;
}

function mountOpenInference(app: Express, { slot }: HttpDeps): void {
  app.get('/v2', (_req, res) => {
    res.json({ name: 'mlops-predictor', version: PREDICTOR_VERSION, extensions: [] });
  });
  app.get('/v2/health/live', (_req, res) => {
    res.json({ live: true });
  });
  app.get('/v2/health/ready', (_req, res) => {
    res.status(slot.model === undefined ? 503 : 200).json({ ready: slot.model !== undefined });
  });
  const both = (suffix: string) => [`/v2/models/:name${suffix}`, `/v2/models/:name/versions/:version${suffix}`];
  app.get(both(''), (req, res) => {
    const served = servedAs(slot.model, req.params as Record<string, string | undefined>, res);
    if (served !== undefined) res.json(oipMetadata(served));
  });
  app.get(both('/ready'), (req, res) => {
    const served = servedAs(slot.model, req.params as Record<string, string | undefined>, res);
    if (served !== undefined) res.json({ name: served.name, ready: true });
  });
}

/** `GET /model`: identity, signature and training record of the served model. */
export function describeModel(served: ServedModel) {
  return {
    name: served.name,
    version: served.version,
    alias: served.alias,
    run_id: served.runId,
    model_uri: served.modelUri,
    feature_names: served.featureNames,
    classes: served.model.classes,
    signature: {
      inputs: served.featureNames.map((name) => ({ name, type: 'double', required: true })),
      outputs: [
        { name: 'probability', type: 'double' },
        { name: 'label', type: 'long' },
        { name: 'prediction_id', type: 'string' },
      ],
    },
    training: {
      solver: served.training.solver,
      params: served.training.params,
      metrics: served.training.metrics,
      trained_at: served.training.trainedAt,
    },
    loaded_at: served.loadedAt.toISOString(),
  };
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

function oipMetadata(served: ServedModel) {
  return {
    name: served.name,
    versions: [served.version],
    platform: 'mlops-logistic-regression',
    inputs: [{ name: 'input', datatype: 'FP64', shape: [-1, served.featureNames.length] }],
    outputs: [
      { name: 'probability', datatype: 'FP64', shape: [-1, 1] },
      { name: 'label', datatype: 'INT64', shape: [-1, 1] },
      { name: 'prediction_id', datatype: 'BYTES', shape: [-1, 1] },
    ],
  };
}

function noModel(res: Response): void {
  res.setHeader('Retry-After', '5');
  res
    .status(503)
    .json({ error: { code: 'NO_MODEL', message: 'no model is loaded yet: register one (run a tuning) and retry' } });
}
