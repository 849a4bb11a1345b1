import { randomUUID } from 'node:crypto';
import type { Logger } from '@mlops/service-kit';
import express, { type ErrorRequestHandler, type Request, type Response, Router } from 'express';
import { parseMlflowCsv, parseMlflowJson } from '../domain/protocols/mlflow-scoring.js';
import { parseInferRequest } from '../domain/protocols/open-inference.js';
import { BadScoringRequest } from '../domain/scoring-request.js';
import type { ModelSlot, ServedModel } from '../domain/served-model.js';
import type { HttpLimits } from './http.js';

/** The predictor's own version, answered on GET /version. */
export const PREDICTOR_VERSION = '0.1.0';

/** MLflow's scoring-server routes: POST /invocations (JSON or CSV), GET /ping, GET /version. */
export function mlflowScoringRouter(slot: ModelSlot, limits: HttpLimits, logger: Logger): Router {
  const router = Router();
  router.get('/ping', (_req, res) => {
    res
      .status(slot.model === undefined ? 404 : 200)
      .type('text/plain')
      .send('\n');
  });
  router.get('/version', (_req, res) => {
    res.type('text/plain').send(PREDICTOR_VERSION);
  });
  router.post(
    '/invocations',
    express.json({ limit: limits.maxBodyBytes, type: 'application/json' }),
    express.text({ limit: limits.maxBodyBytes, type: 'text/csv' }),
    (req, res) => {
      const served = slot.model;
      if (served === undefined) {
        mlflowError(res, 503, 'TEMPORARILY_UNAVAILABLE', 'no model is loaded yet');
        return;
      }
      const contentType = req.headers['content-type'] ?? '';
      const X = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(contentType)
        ? parseMlflowJson(req.body, served.featureNames, limits.maxRows)
        : /^text\/csv\b/i.test(contentType)
          ? parseMlflowCsv(String(req.body), served.featureNames, limits.maxRows)
          : undefined;
      if (X === undefined) {
        res
          .status(415)
          .type('text/plain')
          .send(
            `This predictor only supports the following content types: application/json, text/csv; got ${contentType || 'none'}`,
          );
        return;
      }
      const probabilities = served.model.predictPositiveProba(X);
      const labels = served.model.predict(X);
      res.json({ predictions: Array.from(probabilities, (p, i) => ({ probability: p, label: labels[i] })) });
    },
  );
  router.use(
    protocolErrors(logger, (res, status, message) =>
      mlflowError(res, status, status === 413 ? 'RESOURCE_EXHAUSTED' : 'BAD_REQUEST', message),
    ),
  );
  return router;
}

/** Open Inference Protocol V2 over REST: health, model metadata and readiness, infer (request id echoed). */
export function openInferenceRouter(slot: ModelSlot, limits: HttpLimits, logger: Logger): Router {
  const router = Router();
  router.get('/v2', (_req, res) => {
    res.json({ name: 'mlops-predictor', version: PREDICTOR_VERSION, extensions: [] });
  });
  router.get('/v2/health/live', (_req, res) => {
    res.json({ live: true });
  });
  router.get('/v2/health/ready', (_req, res) => {
    res.status(slot.model === undefined ? 503 : 200).json({ ready: slot.model !== undefined });
  });
  const route = (suffix: string) => [`/v2/models/:name${suffix}`, `/v2/models/:name/versions/:version${suffix}`];
  router.get(route(''), (req, res) => {
    const served = matching(slot, req, res);
    if (served !== undefined) res.json(metadata(served));
  });
  router.get(route('/ready'), (req, res) => {
    const served = matching(slot, req, res);
    if (served !== undefined) res.json({ name: served.name, ready: true });
  });
  router.post(route('/infer'), express.json({ limit: limits.maxBodyBytes, type: () => true }), (req, res) => {
    const served = matching(slot, req, res);
    if (served === undefined) return;
    const { id, X } = parseInferRequest(req.body, served.featureNames.length, limits.maxRows);
    const probabilities = served.model.predictPositiveProba(X);
    const labels = served.model.predict(X);
    res.json({
      model_name: served.name,
      model_version: served.version,
      id: id ?? randomUUID(),
      outputs: [
        { name: 'probability', shape: [X.rows, 1], datatype: 'FP64', data: Array.from(probabilities) },
        { name: 'label', shape: [X.rows, 1], datatype: 'INT64', data: Array.from(labels) },
      ],
    });
  });
  router.use(protocolErrors(logger, (res, status, message) => res.status(status).json({ error: message })));
  return router;
}

function matching(slot: ModelSlot, req: Request, res: Response): ServedModel | undefined {
  const served = slot.model;
  const { name, version } = req.params as { name: string; version?: string };
  if (served === undefined) {
    res.status(503).json({ error: 'no model is loaded yet' });
    return undefined;
  }
  if (name !== served.name || (version !== undefined && version !== served.version)) {
    res.status(404).json({
      error: `model ${name}${version === undefined ? '' : ` version ${version}`} is not served here (serving ${served.name} version ${served.version})`,
    });
    return undefined;
  }
  return served;
}

function metadata(served: ServedModel) {
  return {
    name: served.name,
    versions: [served.version],
    platform: 'mlops-logistic-regression',
    inputs: [{ name: 'input', datatype: 'FP64', shape: [-1, served.featureNames.length] }],
    outputs: [
      { name: 'probability', datatype: 'FP64', shape: [-1, 1] },
      { name: 'label', datatype: 'INT64', shape: [-1, 1] },
    ],
  };
}

function mlflowError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error_code: code, message });
}

/** Body-parser and validation errors in the protocol's own error shape; anything else is a logged 500. */
function protocolErrors(
  logger: Logger,
  send: (res: Response, status: number, message: string) => void,
): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const type = (err as { type?: string }).type;
    if (err instanceof BadScoringRequest) send(res, 400, err.message);
    else if (type === 'entity.too.large') send(res, 413, `the body exceeds ${(err as { limit?: number }).limit} bytes`);
    else if (type === 'entity.parse.failed') send(res, 400, `the body is not valid JSON: ${(err as Error).message}`);
    else if (type !== undefined) send(res, 400, (err as Error).message);
    else {
      logger.error({ err }, 'unexpected error while serving a request');
      send(res, 500, 'internal error');
    }
  };
}
