import { shownServer } from '@mlops/bus';
import {
  LocalStackError,
  type ProcessRecord,
  probeHealth,
  readStackState,
  type StackState,
  stackStateFile,
  stackWriterRuns,
} from '@mlops/local-stack';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { connectCli } from '../nats-connection.js';
import { natsHandshakeProblem } from './nats-probe.js';

/** Whether an endpoint answered, and what it said or what went wrong. */
export type Reachability =
  | { readonly reachable: true; readonly detail: string }
  | { readonly reachable: false; readonly problem: string };

/** One endpoint of the stack as `mlops status` saw it. */
export interface EndpointStatus {
  readonly name: string;
  readonly url: string;
  readonly result: Reachability;
  /** The predictor's: the model version it serves, when it serves one. */
  readonly served?: { readonly name: string; readonly version: string } | undefined;
}

/** A process of the state file and whether its health address answers now (if not, what its probe met). */
export interface ProcessStatus extends ProcessRecord {
  readonly healthy: boolean;
  /** Why the health address did not answer (`connection refused: <address>`, …); undefined when it did. */
  readonly healthProblem?: string | undefined;
}

/** What the data directory says about a local stack: nothing, an unreadable file, or its processes. */
export type StackSection =
  | { readonly kind: 'none'; readonly file: string }
  | { readonly kind: 'unreadable'; readonly file: string; readonly problem: string }
  | {
      readonly kind: 'state';
      readonly file: string;
      readonly state: StackState;
      /** Whether the `mlops up` that writes the file still runs. */
      readonly supervisorAlive: boolean;
      readonly processes: readonly ProcessStatus[];
    };

/** How long a status probe may take. */
const PROBE_TIMEOUT_MS = 3000;

/**
 * The state file of `dataDir` with every process's health probed (the predictor's with `predictorToken` as its bearer
 * token, for one whose health routes want one); never throws.
 */
export async function stackSection(dataDir: string, predictorToken?: PredictorToken): Promise<StackSection> {
  const file = stackStateFile(dataDir);
  let state: StackState | undefined;
  try {
    state = await readStackState(dataDir);
  } catch (err) {
    if (err instanceof LocalStackError) return { kind: 'unreadable', file, problem: err.message };
    throw err;
  }
  if (state === undefined) return { kind: 'none', file };
  const processes = await Promise.all(
    state.processes.map(async (p) => {
      const auth = p.name === 'predictor' ? { token: predictorToken } : undefined;
      const healthProblem =
        p.name === 'nats-server' && new URL(p.health).protocol === 'tcp:'
          ? await natsHandshakeProblem(p.health, PROBE_TIMEOUT_MS)
          : await processHealthProblem(p.health, auth);
      return { ...p, healthy: healthProblem === undefined, healthProblem };
    }),
  );
  return { kind: 'state', file, state, supervisorAlive: await stackWriterRuns(state), processes };
}

/**
 * Why a process's health address does not answer (tcp: nothing accepting; HTTP: the failure or the status). `auth`:
 * the process may want a bearer token (the predictor, with PREDICTOR_AUTH_HEALTH), sent when there is one.
 */
async function processHealthProblem(
  address: string,
  auth: { readonly token: PredictorToken | undefined } | undefined,
): Promise<string | undefined> {
  if (new URL(address).protocol === 'tcp:') {
    return (await probeHealth(address, PROBE_TIMEOUT_MS)) ? undefined : `nothing accepts connections: ${address}`;
  }
  const headers = bearerHeader(auth?.token);
  const answer = await get(address, headers);
  if (answer.kind === 'failed') return answer.problem;
  if (answer.ok) return undefined;
  const asksToken = auth !== undefined && answer.status === 401;
  const wantsToken = !asksToken
    ? ''
    : headers.authorization
      ? `, refuses the token in ${auth?.token?.from}`
      : ', wants a token: set PREDICTOR_TOKEN';
  return `answered HTTP ${answer.status}${wantsToken}: ${address}`;
}

/** The stack's endpoints recorded in the state file, if any. */
export function recordedEndpoints(section: StackSection): Partial<StackState['endpoints']> {
  return section.kind === 'state' ? section.state.endpoints : {};
}

/** Connects to NATS (with the CLI's credentials) and closes again. */
export async function natsStatus(io: CliIo, address: string): Promise<EndpointStatus> {
  // Each server of the list without its user, password or token (URL parsing would give back a list unchanged).
  const url = address.split(',').map(shownServer).join(',');
  try {
    const nc = await connectCli(io, address);
    await nc.close();
    return { name: 'NATS', url, result: { reachable: true, detail: 'reachable' } };
  } catch (err) {
    if (!(err instanceof UsageError) || err.exitCode === 2) throw err; // 2: the address itself is wrong
    const reason = /^cannot connect to NATS at \S+ \((.*)\): is the stack up\?$/.exec(err.message)?.[1];
    const silent = /^timeout$/i.test(reason ?? '') && (await acceptsConnections(address));
    const problem = silent
      ? `NOT ANSWERING (connection open, no reply in ${NATS_CONNECT_TIMEOUT_S} s)`
      : `NOT REACHABLE (${reason ?? err.message})`;
    return { name: 'NATS', url, result: { reachable: false, problem } };
  }
}

/** How long the CLI's NATS connection waits for the handshake (connectCli's timeout). */
const NATS_CONNECT_TIMEOUT_S = 5;

/** True when the one server of a NATS address accepts TCP connections (a server list: false, no telling which). */
async function acceptsConnections(address: string): Promise<boolean> {
  if (address.includes(',')) return false;
  const hostPort = shownServer(address).replace(/^[a-z][a-z\d+.-]*:\/\//i, '');
  const url = URL.parse(`tcp://${hostPort}`);
  if (url === null || url.hostname === '') return false;
  return await probeHealth(`tcp://${url.hostname}:${url.port || '4222'}`);
}

/** GET <tracking URI>/health (credentials in the URL are neither sent nor shown: /health needs none). */
export async function mlflowStatus(address: string): Promise<EndpointStatus> {
  const url = withoutCredentials(address);
  const answer = await get(`${url}/health`);
  const result: Reachability =
    answer.kind === 'answer' && answer.ok
      ? { reachable: true, detail: 'reachable' }
      : { reachable: false, problem: describeAnswer(answer) };
  return { name: 'MLflow', url, result };
}

/**
 * GET <predictor>/ready (with `Authorization: Bearer <token>` when a token is given, as PREDICTOR_TOKEN is): which
 * model version it serves, or why none. Only the predictor's own answers count as one: 200 with the model it serves,
 * 503 "not ready" with its reason, 401 asking for its bearer token; a 200 of another shape is not a predictor
 * (another server on that address), and any other answer is NOT HEALTHY.
 */
export async function predictorStatus(address: string, token?: PredictorToken): Promise<EndpointStatus> {
  const url = withoutCredentials(address);
  const headers = bearerHeader(token);
  const answer = await get(`${url}/ready`, headers);
  const status = (result: Reachability, served?: EndpointStatus['served']): EndpointStatus => ({
    name: 'predictor',
    url,
    result,
    served,
  });
  if (answer.kind === 'failed') return status({ reachable: false, problem: answer.reason });
  const readiness = predictorReadiness(answer);
  if (readiness.kind === 'serving') {
    const { served } = readiness;
    return status({ reachable: true, detail: `reachable, serving ${served.name} version ${served.version}` }, served);
  }
  if (readiness.kind === 'not ready') {
    const why = readiness.reason === undefined ? '' : ` (${readiness.reason})`;
    return status({ reachable: true, detail: `reachable, not serving a model yet${why}` });
  }
  if (readiness.kind === 'wants token') {
    const what = headers.authorization
      ? `refuses the token in ${token?.from} (answered HTTP 401): set one of its PREDICTOR_AUTH_TOKENS in PREDICTOR_TOKEN`
      : 'wants a token: set PREDICTOR_TOKEN (answered HTTP 401)';
    return status({ reachable: true, detail: `reachable, ${what}` });
  }
  if (readiness.kind === 'other shape') {
    return status({
      reachable: false,
      problem: `not a predictor (GET /ready answered HTTP ${answer.status} without a predictor's readiness body)`,
    });
  }
  return status({ reachable: false, problem: describeAnswer(answer) });
}

/** What the predictor's GET /ready answers (services/predictor read-routes.ts and http.ts), as told from an answer. */
type PredictorReadiness =
  | { readonly kind: 'serving'; readonly served: { readonly name: string; readonly version: string } }
  | { readonly kind: 'not ready'; readonly reason: string | undefined }
  | { readonly kind: 'wants token' }
  /** 200 or 503 with a body that is none of the predictor's. */
  | { readonly kind: 'other shape' }
  /** Any other status: nothing a predictor's /ready answers. */
  | { readonly kind: 'unhealthy' };

/**
 * The predictor's readiness in an answer: 200 `{status: 'ready', model: {name, version}}`, 503 `{status: 'not ready',
 * reason}`, or 401 `{error: {code: 'UNAUTHENTICATED'}}` (PREDICTOR_AUTH_HEALTH with tokens set).
 */
function predictorReadiness(answer: Extract<Answer, { kind: 'answer' }>): PredictorReadiness {
  const body = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as {
    status?: unknown;
    reason?: unknown;
    model?: { name?: unknown; version?: unknown } | null;
    error?: { code?: unknown } | null;
  };
  if (answer.status === 200) {
    const model = body.model;
    if (body.status === 'ready' && typeof model?.name === 'string' && typeof model.version === 'string')
      return { kind: 'serving', served: { name: model.name, version: model.version } };
    return { kind: 'other shape' };
  }
  if (answer.status === 503) {
    if (body.status !== 'not ready') return { kind: 'unhealthy' }; // a proxy in front with no predictor behind it
    return { kind: 'not ready', reason: typeof body.reason === 'string' ? body.reason : undefined };
  }
  if (answer.status === 401 && body.error?.code === 'UNAUTHENTICATED') return { kind: 'wants token' };
  return { kind: 'unhealthy' };
}

/** A bearer token for the predictor, and the variable it came from (named when the predictor refuses it). */
export interface PredictorToken {
  readonly value: string;
  readonly from: 'PREDICTOR_TOKEN' | 'PREDICTOR_AUTH_TOKENS';
}

/**
 * The token status sends the local stack's predictor: PREDICTOR_TOKEN (as `mlops predict` sends it), else the first of
 * PREDICTOR_AUTH_TOKENS (the shell that ran `mlops up` with tokens has them, and that stack's probe sends the first).
 * See {@link endpointPredictorToken} for a predictor at another address.
 */
export function statusPredictorToken(env: NodeJS.ProcessEnv): PredictorToken | undefined {
  const own = env.PREDICTOR_TOKEN?.trim();
  if (own) return { value: own, from: 'PREDICTOR_TOKEN' };
  const first = (env.PREDICTOR_AUTH_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .find((t) => t !== '');
  return first === undefined ? undefined : { value: first, from: 'PREDICTOR_AUTH_TOKENS' };
}

/**
 * The token for the predictor at `address`: PREDICTOR_TOKEN to any (the user named both), the stack's own
 * PREDICTOR_AUTH_TOKENS only to the predictor its state file records (`recorded`), never to another server.
 */
export function endpointPredictorToken(
  token: PredictorToken | undefined,
  address: string,
  recorded: string | undefined,
): PredictorToken | undefined {
  if (token?.from !== 'PREDICTOR_AUTH_TOKENS') return token;
  return recorded !== undefined && withoutCredentials(address) === withoutCredentials(recorded) ? token : undefined;
}

/** `Authorization: Bearer <token>` when there is a token. */
function bearerHeader(token: PredictorToken | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token.value}` };
}

type Answer =
  | { readonly kind: 'answer'; readonly ok: boolean; readonly status: number; readonly body: unknown }
  | { readonly kind: 'failed'; readonly reason: string; readonly problem: string };

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const text = await response.text();
    return { kind: 'answer', ok: response.ok, status: response.status, body: parseJson(text) };
  } catch (err) {
    const refused = innermost(err) as NodeJS.ErrnoException;
    const problem = `${refused.code === 'ECONNREFUSED' ? 'connection refused' : causeOf(err)}: ${url}`;
    return { kind: 'failed', reason: `NOT REACHABLE (${causeOf(err)})`, problem };
  }
}

function describeAnswer(answer: Answer): string {
  return answer.kind === 'failed' ? answer.reason : `NOT HEALTHY (answered HTTP ${answer.status})`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A URL as it may be shown and fetched: user and password removed, no trailing slash (unparsable: as given). */
export function withoutCredentials(address: string): string {
  try {
    const url = new URL(address);
    url.username = '';
    url.password = '';
    return url.href.replace(/\/+$/, '');
  } catch {
    return address;
  }
}

/** The innermost message of an error chain: `connect ECONNREFUSED 127.0.0.1:5000` rather than `fetch failed`. */
export function causeOf(err: unknown): string {
  const current = innermost(err);
  if (current instanceof Error && current.name === 'TimeoutError') return `no answer within ${PROBE_TIMEOUT_MS} ms`;
  return current instanceof Error ? current.message : String(current);
}

function innermost(err: unknown): unknown {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current;
}
