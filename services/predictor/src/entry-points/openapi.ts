import { FeedbackReplySchema, FeedbackRequestSchema } from '@mlops/contracts';
import { z } from 'zod';
import {
  type ForwardRoute,
  type ReadRoute,
  ROUTES,
  type RouteSpec,
  type SchemaName,
  type ScoringRoute,
  templateParams,
} from './route-table.js';
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
  FeedbackRequest: FeedbackRequestSchema,
  FeedbackReply: FeedbackReplySchema,
} as const satisfies Record<SchemaName, z.ZodType>;

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: SchemaName) => ({ 'application/json': { schema: ref(name) } });
/** MLflow's scoring server answers an unreadable content type in plain text, before any body is read; so do we. */
const TEXT_ERROR = { 'text/plain': { schema: { type: 'string' } } };
const errors = (name: SchemaName, statuses: readonly number[]) =>
  Object.fromEntries(
    statuses.map((s) => [String(s), { description: STATUS_TEXT[s], content: s === 415 ? TEXT_ERROR : json(name) }]),
  );
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

function scoringOperation(route: ScoringRoute) {
  const csv = route.csv === undefined ? {} : { 'text/csv': { schema: { type: 'string', description: route.csv } } };
  return {
    summary: route.summary,
    ...security(route),
    requestBody: { required: true, content: { ...json(route.request), ...csv } },
    responses: {
      '200': { description: 'One prediction per row', content: json(route.response) },
      ...errors(route.error, [400, 401, 413, 503, ...(route.moreErrors ?? [])]),
      // Node's server answers it before any route sees the request: always the native error shape.
      ...errors('Error', [408]),
    },
  };
}

function forwardOperation(route: ForwardRoute) {
  const responses = Object.fromEntries(
    Object.entries(route.answers).map(([status, [description, body]]) => [
      status,
      { description, content: json(body) },
    ]),
  );
  return {
    summary: route.summary,
    ...security(route),
    requestBody: { required: true, content: json(route.request) },
    responses,
  };
}

function readOperation(route: ReadRoute) {
  const responses = Object.fromEntries(
    Object.entries(route.answers).map(([status, description]) => [status, plain(description, route.contentType)]),
  );
  return { summary: route.summary, ...security(route), responses };
}

function security(route: RouteSpec) {
  return route.access === 'protected' ? { security: bearer } : {};
}

function pathItem(route: RouteSpec) {
  const operation =
    route.method === 'GET'
      ? { get: readOperation(route) }
      : { post: 'scoring' in route ? scoringOperation(route) : forwardOperation(route) };
  const params = templateParams(route.path).map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  return params.length === 0 ? operation : { parameters: params, ...operation };
}

/** The document's paths, one per route of the table, in its order. */
function paths() {
  return Object.fromEntries(ROUTES.map((route) => [route.path, pathItem(route)]));
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
        'Serves the registered champion model over three protocols (native /predict, MLflow /invocations, Open Inference Protocol V2). Every scored row gets a prediction id; POST /feedback takes the true labels of earlier predictions and hands them to the monitor.',
    },
    paths: paths(),
    components: {
      schemas,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'PREDICTOR_AUTH_TOKENS' } },
    },
  };
}
