import { z } from 'zod';
import {
  ErrorResponseSchema,
  InferErrorSchema,
  InferRequestSchema,
  InferResponseSchema,
  InvocationsRequestSchema,
  InvocationsResponseSchema,
  MlflowErrorSchema,
  PredictRequestSchema,
  PredictResponseSchema,
} from './wire/schemas.js';

/** The predictor's own version, answered on GET /version and in the OpenAPI document. */
export const PREDICTOR_VERSION = '0.1.0';

const COMPONENTS = {
  PredictRequest: PredictRequestSchema,
  PredictResponse: PredictResponseSchema,
  Error: ErrorResponseSchema,
  InvocationsRequest: InvocationsRequestSchema,
  InvocationsResponse: InvocationsResponseSchema,
  MlflowError: MlflowErrorSchema,
  InferRequest: InferRequestSchema,
  InferResponse: InferResponseSchema,
  InferError: InferErrorSchema,
} as const;

type Component = keyof typeof COMPONENTS;
type Operation = Record<string, unknown>;

const ref = (name: Component) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: Component) => ({ 'application/json': { schema: ref(name) } });
const errors = (name: Component, statuses: readonly number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: STATUS_TEXT[s], content: json(name) }]));
const plain = (description: string, type = 'application/json') => ({
  description,
  content: { [type]: { schema: {} } },
});
const bearer = [{ bearerAuth: [] }, {}];

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Malformed body or invalid rows; the message names the field',
  401: 'Bearer token missing or wrong (only when tokens are configured)',
  404: 'The named model is not the one served',
  405: 'Wrong method for this path',
  408: 'The request was not received in time',
  413: 'Body larger than the limit, or more rows than allowed',
  415: 'Content type other than application/json or text/csv',
  503: 'No model loaded yet (Retry-After)',
};

function scoring(summary: string, request: Operation, response: Component, error: Component, extra: number[] = []) {
  return {
    post: {
      summary,
      security: bearer,
      requestBody: { required: true, content: request },
      responses: {
        '200': { description: 'One prediction per row', content: json(response) },
        ...errors(error, [400, 401, 413, 503, ...extra]),
      },
    },
  };
}

function read(summary: string, responses: Record<string, unknown>, protectedRoute = false) {
  return { get: { summary, ...(protectedRoute ? { security: bearer } : {}), responses } };
}

function paths() {
  const infer = scoring(
    'Open Inference Protocol V2 inference',
    json('InferRequest'),
    'InferResponse',
    'InferError',
    [404],
  );
  const name = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
  const version = { name: 'version', in: 'path', required: true, schema: { type: 'string' } };
  const withParams = (op: { get?: Operation; post?: Operation }, params: unknown[]) => ({ parameters: params, ...op });
  return {
    '/predict': scoring('Score rows (native protocol)', json('PredictRequest'), 'PredictResponse', 'Error'),
    '/invocations': scoring(
      'Score rows (MLflow scoring-server protocol)',
      {
        ...json('InvocationsRequest'),
        'text/csv': { schema: { type: 'string', description: 'header row of feature names, then rows' } },
      },
      'InvocationsResponse',
      'MlflowError',
      [415],
    ),
    '/v2/models/{name}/infer': withParams(infer, [name]),
    '/v2/models/{name}/versions/{version}/infer': withParams(infer, [name, version]),
    '/v2/models/{name}': withParams(
      read('OIP model metadata', { '200': plain('Model metadata'), '404': plain('Not served') }, true),
      [name],
    ),
    '/v2/models/{name}/versions/{version}': withParams(
      read('OIP model metadata', { '200': plain('Model metadata'), '404': plain('Not served') }, true),
      [name, version],
    ),
    '/v2/models/{name}/ready': withParams(
      read('OIP model readiness', { '200': plain('Ready'), '404': plain('Not served') }),
      [name],
    ),
    '/v2/models/{name}/versions/{version}/ready': withParams(
      read('OIP model readiness', { '200': plain('Ready'), '404': plain('Not served') }),
      [name, version],
    ),
    '/v2': read('OIP server metadata', { '200': plain('Server metadata') }),
    '/v2/health/live': read('OIP liveness', { '200': plain('Live') }),
    '/v2/health/ready': read('OIP readiness', { '200': plain('Ready'), '503': plain('No model yet') }),
    '/health': read('Liveness', { '200': plain('Alive') }),
    '/ready': read('Readiness: a model is loaded', { '200': plain('Ready'), '503': plain('No model yet') }),
    '/ping': read('MLflow scoring-server health', {
      '200': plain('Model loaded', 'text/plain'),
      '404': plain('No model yet', 'text/plain'),
    }),
    '/version': read('Predictor version', { '200': plain('Version', 'text/plain') }),
    '/model': read(
      'The served model: identity, signature, training record',
      { '200': plain('Model'), '503': plain('No model yet') },
      true,
    ),
    '/metrics': read('Prometheus metrics', { '200': plain('Metrics in the text exposition format', 'text/plain') }),
    '/openapi.json': read('This document', { '200': plain('OpenAPI 3.1') }),
    '/docs': read('Rendered documentation', { '200': plain('HTML page', 'text/html') }),
  };
}

/** The OpenAPI 3.1 document of every route, its request and response schemas generated from the zod schemas. */
export function buildOpenApiDocument() {
  const schemas = Object.fromEntries(
    Object.entries(COMPONENTS).map(([name, schema]) => {
      const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
      return [name, jsonSchema];
    }),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'One Customer Classifier predictor',
      version: PREDICTOR_VERSION,
      description:
        'Serves the registered champion model over three protocols (native /predict, MLflow /invocations, Open Inference Protocol V2). Every scored row gets a prediction id.',
    },
    paths: paths(),
    components: {
      schemas,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'PREDICTOR_AUTH_TOKENS' } },
    },
  };
}
