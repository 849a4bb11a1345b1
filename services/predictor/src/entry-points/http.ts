import type { Logger } from '@mlops/service-kit';
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import { BadScoringRequest, parseScoringRequest } from '../domain/scoring-request.js';
import type { ModelSlot } from '../domain/served-model.js';
import { mlflowScoringRouter, openInferenceRouter } from './protocol-routes.js';

/** HTTP limits from config. */
export interface HttpLimits {
  readonly maxBodyBytes: number;
  readonly maxRows: number;
}

/** Builds the express app (no listening here): /predict, /health, /ready, /model, MLflow's /invocations and OIP V2. */
export function createHttpApp(slot: ModelSlot, limits: HttpLimits, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'alive' });
  });
  app.get('/ready', (_req, res) => {
    const served = slot.model;
    if (served === undefined) {
      res.status(503).json({ status: 'not ready', reason: 'no model loaded yet' });
      return;
    }
    res.json({ status: 'ready', model: { name: served.name, version: served.version } });
  });
  app.get('/model', (_req, res) => {
    const served = slot.model;
    if (served === undefined) {
      noModel(res);
      return;
    }
    res.json({
      name: served.name,
      version: served.version,
      alias: served.alias,
      run_id: served.runId,
      model_uri: served.modelUri,
      feature_names: served.featureNames,
      loaded_at: served.loadedAt.toISOString(),
    });
  });
  app.use(mlflowScoringRouter(slot, limits, logger));
  app.use(openInferenceRouter(slot, limits, logger));
  app.post('/predict', express.json({ limit: limits.maxBodyBytes, strict: false, type: () => true }), (req, res) =>
    predict(req, res, slot, limits),
  );
  app.use((_req, res) => {
    sendError(res, 404, 'NOT_FOUND', 'no such route: try POST /predict, GET /health, /ready or /model');
  });
  app.use(errorHandler(logger));
  return app;
}

function predict(req: Request, res: Response, slot: ModelSlot, limits: HttpLimits): void {
  const served = slot.model;
  if (served === undefined) {
    noModel(res);
    return;
  }
  const X = parseScoringRequest(req.body, served.featureNames, { maxRows: limits.maxRows });
  const probabilities = served.model.predictPositiveProba(X);
  const predictions = served.model.predict(X);
  res.json({
    model: { name: served.name, version: served.version },
    predictions: Array.from(predictions),
    probabilities: Array.from(probabilities),
  });
}

function noModel(res: Response): void {
  res.setHeader('Retry-After', '5');
  sendError(res, 503, 'NO_MODEL', 'no model is loaded yet: register one (run a tuning) and retry');
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** Maps body-parser and validation errors to 400/413 with a message; anything else is a logged 500. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof BadScoringRequest) {
      sendError(res, 400, 'BAD_REQUEST', err.message);
      return;
    }
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') {
      sendError(res, 413, 'PAYLOAD_TOO_LARGE', `the body exceeds ${(err as { limit?: number }).limit} bytes`);
      return;
    }
    if (type === 'entity.parse.failed') {
      sendError(res, 400, 'MALFORMED_JSON', `the body is not valid JSON: ${(err as Error).message}`);
      return;
    }
    if (type !== undefined) {
      sendError(res, 400, 'BAD_REQUEST', (err as Error).message);
      return;
    }
    logger.error({ err }, 'unexpected error while serving a request');
    sendError(res, 500, 'INTERNAL', 'internal error');
  };
}
