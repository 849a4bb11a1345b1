import { FeedbackReplySchema } from '@mlops/contracts';
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
import { FeedbackBodySchema } from './wire/feedback-body.js';
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
  TableRequestShapes,
} from './wire/schemas.js';

/** The predictor's own version, answered on GET /version and in the OpenAPI document. */
export const PREDICTOR_VERSION = '0.1.0';

/** A numeric model's request or a table model's (its raw columns): the document names both. */
const eitherModel = (numeric: z.ZodType, table: z.ZodType, description: string) =>
  z.union([numeric, table]).describe(description);

const COMPONENTS = {
  PredictRequest: eitherModel(
    PredictRequestSchema,
    TableRequestShapes.predict,
    'Rows to score: {"features": [...]} (positional, in the order of GET /model feature_names) or {"records": [{...}]}: numbers for a model of numeric features; for a model trained on a CSV table, its raw columns (GET /model lists them as input_columns) by name only, {"records": [{...}]}: numbers, text, and null for a missing value, every column named in each record ("features" answers 400 naming the columns).',
  ),
  PredictResponse: PredictResponseSchema,
  Error: ErrorResponseSchema,
  InvocationsRequest: eitherModel(
    InvocationsRequestSchema,
    TableRequestShapes.invocations,
    'MLflow scoring-server input: one of dataframe_split, dataframe_records, instances, inputs; a table model takes text and null cells too, and its columns by name only: dataframe_split with columns, dataframe_records, or instances/inputs as records or as an object of columns (rows by position answer 400 naming the columns)',
  ),
  InvocationsResponse: InvocationsResponseSchema,
  MlflowError: MlflowErrorSchema,
  InferRequest: eitherModel(
    InferRequestSchema,
    TableRequestShapes.infer,
    'Open Inference Protocol V2: one FP64 tensor [rows, features] for a model of numeric features; one tensor per input column ([rows], FP64 or BYTES) for a table model',
  ),
  InferResponse: InferResponseSchema,
  InferError: InferErrorSchema,
  FeedbackRequest: FeedbackBodySchema,
  FeedbackReply: FeedbackReplySchema,
} as const satisfies Record<SchemaName, z.ZodType>;

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: SchemaName) => ({ 'application/json': { schema: ref(name) } });
/** MLflow's scoring server answers an unreadable content type in plain text, before any body is read; so do we. */
const TEXT_ERROR = { 'text/plain': { schema: { type: 'string' } } };
const errors = (name: SchemaName, statuses: readonly number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      {
        description: s === 415 && name === 'MlflowError' ? MLFLOW_415 : STATUS_TEXT[s],
        content: s === 415 && name === 'MlflowError' ? TEXT_ERROR : json(name),
      },
    ]),
  );
const MLFLOW_415 = 'Content type other than application/json or text/csv, or a compressed body (Content-Encoding)';
const plain = (description: string, type = 'application/json') => ({
  description,
  content: { [type]: { schema: {} } },
});
const bearer = [{ bearerAuth: [] }, {}];

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Malformed body or invalid rows; the message names the field',
  401: 'Bearer token missing or wrong (only when tokens are configured)',
  403: 'Sent by a browser for a page of another site (Sec-Fetch-Site: cross-site or same-site), or with a Host header not in PREDICTOR_ALLOWED_HOSTS',
  404: 'The named model is not the one served',
  405: 'Wrong method for this path',
  408: 'The request was not received in time',
  413: 'Body larger than the limit, or more rows than allowed',
  415: 'A body declared as other than JSON (form data, plain text), as JSON in a charset other than UTF-8, or compressed (Content-Encoding)',
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
      ...errors(route.error, [400, 401, 403, 413, 503, ...(route.moreErrors ?? [])]),
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

/** When a read route answers 401: always once tokens are set, or only with its PREDICTOR_AUTH_* switch on. */
const UNAUTHENTICATED: Readonly<Record<ReadRoute['access'], string | undefined>> = {
  public: undefined,
  protected: STATUS_TEXT[401],
  health: 'Bearer token missing or wrong (only when tokens are configured and PREDICTOR_AUTH_HEALTH=true)',
  metrics: 'Bearer token missing or wrong (only when tokens are configured and PREDICTOR_AUTH_METRICS=true)',
};

function readOperation(route: ReadRoute) {
  const documented = Object.fromEntries(
    Object.entries(route.answers).map(([status, text]) => [status, plain(text, route.contentType)]),
  );
  const denied = UNAUTHENTICATED[route.access];
  const unauthenticated = denied === undefined ? {} : { '401': { description: denied, content: json('Error') } };
  const badPath =
    templateParams(route.path).length === 0 ? {} : { '400': { description: BAD_PATH, content: json('Error') } };
  const responses = {
    ...documented,
    ...unauthenticated,
    ...badPath,
    '403': { description: FOREIGN_HOST, content: json('Error') },
  };
  return { summary: route.summary, ...security(route), responses };
}

const BAD_PATH = 'A path parameter that is not a valid percent-escape';
const FOREIGN_HOST = 'A Host header not in PREDICTOR_ALLOWED_HOSTS (a page of another site via DNS rebinding)';

function security(route: RouteSpec) {
  return route.access === 'public' ? {} : { security: bearer };
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
