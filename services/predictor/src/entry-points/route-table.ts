/** Who may call a route when bearer tokens are configured. */
export type Access = 'public' | 'health' | 'metrics' | 'protected';

/** The scoring protocols, served on the fast path. */
export type ScoringKind = 'predict' | 'invocations' | 'infer';

/** The POST routes whose body goes on to another service over NATS (served on the fast path too). */
export type ForwardKind = 'feedback';

/** The bodies the OpenAPI document names as components (each a zod schema of wire/schemas.ts). */
export type SchemaName =
  | 'PredictRequest'
  | 'PredictResponse'
  | 'Error'
  | 'InvocationsRequest'
  | 'InvocationsResponse'
  | 'MlflowError'
  | 'InferRequest'
  | 'InferResponse'
  | 'InferError'
  | 'FeedbackRequest'
  | 'FeedbackReply';

/** The names a path template may hold in braces; the matcher hands them to the handlers as route params. */
export type PathParam = 'name' | 'version' | 'asset';

interface RouteCommon {
  /** The path template, `{name}` for a segment: also the route's metrics label and its OpenAPI path. */
  readonly path: string;
  readonly access: Access;
  /** One line for the OpenAPI document and the docs page. */
  readonly summary: string;
}

/** What the OpenAPI document says of a scoring route's bodies. */
export interface ScoringBodies {
  readonly request: SchemaName;
  /** Set when the route also reads `text/csv`: what such a body holds. */
  readonly csv?: string;
  readonly response: SchemaName;
  readonly error: SchemaName;
  /** Error statuses documented beyond 400, 401, 413 and 503. */
  readonly moreErrors?: readonly number[];
}

/** A POST route scored on the fast path (framework-free). */
export interface ScoringRoute extends RouteCommon, ScoringBodies {
  readonly method: 'POST';
  readonly scoring: ScoringKind;
}

/** Status → what that answer means, as the OpenAPI document says. */
type Answers = Readonly<Record<string, string>>;

/** A POST route whose body is validated here and forwarded over NATS (`POST /feedback` → the monitor). */
export interface ForwardRoute extends RouteCommon {
  readonly method: 'POST';
  readonly forward: ForwardKind;
  readonly request: SchemaName;
  /** Status → what the answer means and the schema of its body. */
  readonly answers: Readonly<Record<string, readonly [description: string, body: SchemaName]>>;
}

/** A GET route answered by the express read app with the handler named `read`. */
export interface ReadRoute extends RouteCommon {
  readonly method: 'GET';
  readonly read: string;
  readonly answers: Answers;
  /** The answers' content type, when not JSON; the wildcard when it depends on the file asked for. */
  readonly contentType?: 'text/plain' | 'text/html' | '*/*';
}

/** One route of the table. */
export type RouteSpec = ScoringRoute | ForwardRoute | ReadRoute;

/** A POST route, scored on the fast path by the protocol of `scoring`. */
function post(
  path: string,
  access: Access,
  scoring: ScoringKind,
  summary: string,
  bodies: ScoringBodies,
): ScoringRoute {
  return { method: 'POST', path, access, scoring, summary, ...bodies };
}

/** A POST route whose body is forwarded over NATS by the handler of `forward`. */
function forward(
  path: string,
  access: Access,
  kind: ForwardKind,
  summary: string,
  bodies: Pick<ForwardRoute, 'request' | 'answers'>,
): ForwardRoute {
  return { method: 'POST', path, access, forward: kind, summary, ...bodies };
}

/** A GET route, answered by the read app's handler `read` (its literal becomes a ReadRouteKey). */
function get<const K extends string>(
  path: string,
  access: Access,
  read: K,
  summary: string,
  answers: Answers,
  contentType?: ReadRoute['contentType'],
): ReadRoute & { readonly read: K } {
  return { method: 'GET', path, access, read, summary, answers, ...(contentType === undefined ? {} : { contentType }) };
}

const NATIVE: ScoringBodies = {
  request: 'PredictRequest',
  response: 'PredictResponse',
  error: 'Error',
  moreErrors: [415],
};
const MLFLOW: ScoringBodies = {
  request: 'InvocationsRequest',
  csv: 'RFC 4180 CSV: header row of feature names, then rows',
  response: 'InvocationsResponse',
  error: 'MlflowError',
  moreErrors: [415],
};
const OIP: ScoringBodies = {
  request: 'InferRequest',
  response: 'InferResponse',
  error: 'InferError',
  moreErrors: [404, 415],
};
const FEEDBACK: Pick<ForwardRoute, 'request' | 'answers'> = {
  request: 'FeedbackRequest',
  answers: {
    '202': ['The monitor stored every label (a repeated one counts as a duplicate)', 'FeedbackReply'],
    '207': ['The monitor stored some labels and refused the others (see errors)', 'FeedbackReply'],
    '400': [
      'Malformed JSON, a label that breaks the schema, or one that sets `client` (the predictor sets it from the bearer token); the message names the field',
      'Error',
    ],
    '401': ['Bearer token missing or wrong (only when tokens are configured)', 'Error'],
    '403': [
      'Sent by a browser for a page of another site (Sec-Fetch-Site: cross-site or same-site), or with a Host header not in PREDICTOR_ALLOWED_HOSTS',
      'Error',
    ],
    '404': [
      'The monitor refused every label: none of the prediction ids is known (with tokens configured, a prediction scored with another token is answered as unknown)',
      'FeedbackReply',
    ],
    '413': ['Body larger than the limit, or more labels than one NATS message carries', 'Error'],
    '415': [
      'A body declared as other than JSON (form data, plain text), as JSON in a charset other than UTF-8, or compressed (Content-Encoding)',
      'Error',
    ],
    '422': ['The monitor refused every label (another model, an expired prediction, …)', 'FeedbackReply'],
    '502': ['The monitor answered something unreadable', 'Error'],
    '503': ['The monitor is not running (Retry-After)', 'Error'],
    '504': ['The monitor did not answer in time (PREDICTOR_FEEDBACK_TIMEOUT_MS)', 'Error'],
  },
};
const OIP_INFER = 'Open Inference Protocol V2 inference';
const NO_MODEL_YET = 'No model yet';
const MODEL_METADATA = { '200': 'Model metadata', '404': 'Not served' };
const MODEL_READY = { '200': 'Ready', '404': 'Not served' };
const READY = { '200': 'Ready', '503': NO_MODEL_YET };
const PING = { '200': 'Model loaded', '404': NO_MODEL_YET };
const MODEL = { '200': 'Model', '503': NO_MODEL_YET };
const METRICS = { '200': 'Metrics in the text exposition format' };
const DOCS = { '200': 'HTML page; its scripts and stylesheets come from /docs/{asset}' };
const ASSET = { '200': 'The file', '404': 'No such file' };

/**
 * Every route the predictor serves, once: method, path template, access class, then the scoring kind or the read
 * handler (or the forwarding kind), the summary and the documented bodies. The matcher (routes.ts), the express read app (read-routes.ts) and
 * the OpenAPI document (openapi.ts) are all built from it. Paths are unique; the document lists them in this order.
 */
export const ROUTES = [
  post('/predict', 'protected', 'predict', 'Score rows (native protocol)', NATIVE),
  post('/invocations', 'protected', 'invocations', 'Score rows (MLflow scoring-server protocol)', MLFLOW),
  post('/v2/models/{name}/infer', 'protected', 'infer', OIP_INFER, OIP),
  post('/v2/models/{name}/versions/{version}/infer', 'protected', 'infer', OIP_INFER, OIP),
  forward(
    '/feedback',
    'protected',
    'feedback',
    'Record true labels of earlier predictions (sent on to the monitor)',
    FEEDBACK,
  ),
  get('/v2/models/{name}', 'protected', 'oipModel', 'OIP model metadata', MODEL_METADATA),
  get('/v2/models/{name}/versions/{version}', 'protected', 'oipModel', 'OIP model metadata', MODEL_METADATA),
  get('/v2/models/{name}/ready', 'health', 'oipModelReady', 'OIP model readiness', MODEL_READY),
  get('/v2/models/{name}/versions/{version}/ready', 'health', 'oipModelReady', 'OIP model readiness', MODEL_READY),
  get('/v2', 'health', 'oipServer', 'OIP server metadata', { '200': 'Server metadata' }),
  get('/v2/health/live', 'health', 'oipLive', 'OIP liveness', { '200': 'Live' }),
  get('/v2/health/ready', 'health', 'oipReady', 'OIP readiness', READY),
  get('/health', 'health', 'health', 'Liveness', { '200': 'Alive' }),
  get('/ready', 'health', 'ready', 'Readiness: a model is loaded', READY),
  get('/ping', 'health', 'ping', 'MLflow scoring-server health', PING, 'text/plain'),
  get('/version', 'health', 'version', 'Predictor version', { '200': 'Version' }, 'text/plain'),
  get('/model', 'protected', 'model', 'The served model: identity, signature, training record', MODEL),
  get('/metrics', 'metrics', 'metrics', 'Prometheus metrics', METRICS, 'text/plain'),
  get('/openapi.json', 'public', 'openapi', 'This document', { '200': 'OpenAPI 3.1' }),
  get('/docs', 'public', 'docs', 'This document in Swagger UI: read it and try the routes', DOCS, 'text/html'),
  get('/docs/{asset}', 'public', 'docsAsset', 'A file of the /docs page (script, stylesheet, icon)', ASSET, '*/*'),
] as const;

/** A read route of the table, its handler key kept literal. */
export type TableReadRoute = Extract<(typeof ROUTES)[number], { method: 'GET' }>;

/** The handler keys the read routes name: the express read app must provide one for each (and the type says so). */
export type ReadRouteKey = TableReadRoute['read'];

/** The GET routes, answered by the express read app. */
export const READ_ROUTES: readonly TableReadRoute[] = ROUTES.filter(
  (route): route is TableReadRoute => route.method === 'GET',
);

/** The names in braces of a path template, in order. */
export function templateParams(path: string): PathParam[] {
  return Array.from(path.matchAll(/\{(\w+)\}/g), (found) => found[1] as PathParam);
}
