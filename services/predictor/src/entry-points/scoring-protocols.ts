import { type DenseMatrix, decodeCsvBytes } from '@mlops/ml';
import type { Scored } from '../domain/scoring.js';
import type { ScoringLimits } from '../domain/scoring-rules.js';
import { BadScoringRequest } from '../domain/scoring-rules.js';
import type { ServedModel } from '../domain/served-model.js';
import { notJsonMessage, readsAsJson } from './json-content-type.js';
import type { ScoringKind } from './route-table.js';
import type { RouteMatch } from './routes.js';
import { scanFeatureRows } from './wire/feature-rows-scan.js';
import { parseMlflowCsv, parseMlflowJson } from './wire/mlflow-scoring.js';
import { hasTextLabels } from './wire/model-metadata.js';
import {
  INFER_OUTPUTS,
  type InferOutput,
  inferId,
  parseInferRequest,
  requestedOutputs,
} from './wire/open-inference.js';
import { parsePredictRequest, refuseProtoKeys } from './wire/scoring-request.js';
import { csvTable, encodeTable, inferTable, invocationsTable, predictTable } from './wire/table-request.js';

/** A reply to send: status, content type and the body (serialised as JSON unless it is a string). */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a scoring protocol needs to parse: the served model's features, the body bytes and its content type. */
export interface ScoringInput {
  readonly served: ServedModel;
  readonly body: Buffer;
  readonly contentType: string;
  readonly limits: ScoringLimits;
}

/** A parsed scoring request: the rows to score and, for a table model, its raw columns coded for the log. */
export interface ParsedRequest {
  readonly X: DenseMatrix;
  /** A table model's raw columns coded (CompiledPreprocessor.codes): what the prediction log records instead of X. */
  readonly rawCodes?: DenseMatrix | undefined;
  /** The request's own id, echoed in the answer (Open Inference). */
  readonly id?: string | undefined;
  /** The outputs the request asks for (Open Inference `outputs`); all of them when undefined. */
  readonly outputs?: readonly InferOutput[] | undefined;
}

/** One protocol's parsing, answering and error shape; the handler around it is shared. */
export interface ScoringProtocol {
  /** A 415 reply when the content type is not one this protocol reads, before the body is read. */
  refuseContentType(contentType: string): Reply | undefined;
  /** A 404 reply when the request names a model that is not the served one. */
  refuseModel(served: ServedModel, route: RouteMatch): Reply | undefined;
  /** The 415 for a compressed body, when this protocol has its own shape for it (else its error shape). */
  refuseEncoding?(message: string): Reply;
  parse(input: ScoringInput): ParsedRequest;
  answer(served: ServedModel, scored: Scored, request: Pick<ParsedRequest, 'id' | 'outputs'>): unknown;
  error(status: number, code: string, message: string): Reply;
}

const JSON_BODY = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

const native: ScoringProtocol = {
  refuseContentType: (contentType) =>
    readsAsJson(contentType) ? undefined : native.error(415, 'UNSUPPORTED_MEDIA_TYPE', notJsonMessage(contentType)),
  refuseModel: () => undefined,
  parse: ({ served, body, limits }) =>
    served.table !== undefined
      ? encodeTable(served.table, (columns) => predictTable(parseJson(body), columns, limits))
      : {
          X:
            scanFeatureRows(body, served.featureNames.length, limits.maxRows) ??
            parsePredictRequest(parseJson(body), served.featureNames, limits),
        },
  answer: (served, scored) => nativeAnswer(served, scored),
  error: (status, code, message) => ({ status, body: { error: { code, message } } }),
};

const mlflow: ScoringProtocol = {
  refuseContentType(contentType) {
    if (JSON_BODY.test(contentType) || /^text\/csv\b/i.test(contentType)) return undefined;
    return {
      status: 415,
      contentType: 'text/plain; charset=utf-8',
      body: `This predictor only supports the following content types: application/json, text/csv; got ${contentType || 'none'}`,
    };
  },
  refuseModel: () => undefined,
  // As its other 415: plain text, as MLflow's scoring server answers what it cannot read.
  refuseEncoding: (message) => ({ status: 415, contentType: 'text/plain; charset=utf-8', body: message }),
  parse: ({ served, body, contentType, limits }) =>
    JSON_BODY.test(contentType) ? mlflowJsonRows(served, body, limits) : mlflowCsvRows(served, body, limits),
  answer: (served, scored) => {
    const label = labelOf(served);
    return {
      predictions: Array.from(scored.probabilities, (probability, i) => ({
        probability,
        label: label(scored.labels[i]!),
        prediction_id: scored.ids[i],
      })),
    };
  },
  error: (status, code, message) => ({ status, body: { error_code: MLFLOW_CODES[code] ?? code, message } }),
};

const MLFLOW_CODES: Readonly<Record<string, string>> = {
  BAD_REQUEST: 'BAD_REQUEST',
  MALFORMED_JSON: 'BAD_REQUEST',
  PAYLOAD_TOO_LARGE: 'RESOURCE_EXHAUSTED',
  TOO_MANY_ROWS: 'RESOURCE_EXHAUSTED',
  NO_MODEL: 'TEMPORARILY_UNAVAILABLE',
  INTERNAL: 'INTERNAL_ERROR',
  FORBIDDEN: 'PERMISSION_DENIED',
  // MLflow's codes have none for a wrong method; the message names the one to use.
  METHOD_NOT_ALLOWED: 'BAD_REQUEST',
};

const openInference: ScoringProtocol = {
  refuseContentType: (contentType) =>
    readsAsJson(contentType)
      ? undefined
      : openInference.error(415, 'UNSUPPORTED_MEDIA_TYPE', notJsonMessage(contentType)),
  refuseModel(served, route) {
    const { name, version } = route.params;
    if (name === served.name && (version === undefined || version === served.version)) return undefined;
    const wanted = `${name}${version === undefined ? '' : ` version ${version}`}`;
    return openInference.error(
      404,
      'NOT_FOUND',
      `model ${wanted} is not served here (serving ${served.name} version ${served.version})`,
    );
  },
  parse: ({ served, body, limits }) => {
    if (served.table === undefined) return parseInferRequest(parseJson(body), served.featureNames.length, limits);
    const request = parseJson(body);
    const id = inferId(request);
    const outputs = requestedOutputs(request);
    const { X, rawCodes } = encodeTable(served.table, (columns) => inferTable(request, columns, limits));
    return { X, rawCodes, id, outputs };
  },
  answer: (served, scored, { id, outputs }) => {
    const rows = scored.labels.length;
    const label = labelOf(served);
    const tensors = {
      probability: () => ({
        name: 'probability',
        shape: [rows, 1],
        datatype: 'FP64',
        data: Array.from(scored.probabilities),
      }),
      label: () =>
        hasTextLabels(served)
          ? { name: 'label', shape: [rows, 1], datatype: 'BYTES', data: Array.from(scored.labels, label) }
          : { name: 'label', shape: [rows, 1], datatype: 'INT64', data: Array.from(scored.labels) },
      prediction_id: () => ({ name: 'prediction_id', shape: [rows, 1], datatype: 'BYTES', data: scored.ids }),
    };
    return {
      model_name: served.name,
      model_version: served.version,
      id: id ?? scored.requestId,
      outputs: (outputs ?? INFER_OUTPUTS).map((name) => tensors[name]()),
    };
  },
  error: (status, _code, message) => ({ status, body: { error: message } }),
};

/**
 * The native answer as text, built directly: numbers from typed arrays joined (the same digits JSON.stringify
 * writes; probabilities and labels are always finite), ids from the base64url request id (nothing to escape).
 * About a third faster than JSON.stringify on 1000-row batches.
 */
function nativeAnswer(served: ServedModel, scored: Scored): string {
  const model = JSON.stringify({ name: served.name, version: served.version });
  const ids = scored.ids.length === 0 ? '' : `"${scored.ids.join('","')}"`;
  const predictions =
    served.classLabels === undefined
      ? scored.labels.join(',')
      : JSON.stringify(Array.from(scored.labels, labelOf(served))).slice(1, -1);
  return `{"model":${model},"predictions":[${predictions}],"probabilities":[${scored.probabilities.join(',')}],"prediction_ids":[${ids}]}`;
}

/** The answer's label of a predicted class: the target's own label (text) when the model has them. */
function labelOf(served: ServedModel): (label: number) => number | string {
  const labels = served.classLabels;
  if (labels === undefined) return (label) => label;
  const positive = served.model.classes[1];
  return (label) => labels[label === positive ? 1 : 0];
}

function mlflowJsonRows(served: ServedModel, body: Buffer, limits: ScoringLimits): ParsedRequest {
  const request = parseJson(body);
  if (served.table === undefined) return { X: parseMlflowJson(request, served.featureNames, limits) };
  return encodeTable(served.table, (columns) => invocationsTable(request, columns, limits));
}

function mlflowCsvRows(served: ServedModel, body: Buffer, limits: ScoringLimits): ParsedRequest {
  const text = csvBodyText(body);
  if (served.table === undefined) return { X: parseMlflowCsv(text, served.featureNames, limits) };
  return encodeTable(served.table, (columns) => csvTable(text, columns, limits));
}

/**
 * A CSV body as text: UTF-8, as pandas reads it. Bytes that are not UTF-8 are refused naming the first one (they
 * would otherwise become U+FFFD and the column that holds them "missing"); the strict check runs only when the
 * lenient decoding met one.
 */
function csvBodyText(body: Buffer): string {
  const text = body.toString('utf8');
  if (!text.includes('\uFFFD')) return text;
  try {
    return decodeCsvBytes(body, 'the CSV body');
  } catch (err) {
    throw new BadScoringRequest((err as Error).message, 400, { cause: err });
  }
}

/** The protocol behind each scoring route. */
export const SCORING_PROTOCOLS: Readonly<Record<ScoringKind, ScoringProtocol>> = {
  predict: native,
  invocations: mlflow,
  infer: openInference,
};

/** A body that is not JSON at all. */
export class MalformedJson extends Error {
  constructor(cause: unknown) {
    super(`the body is not valid JSON: ${(cause as Error).message}`, { cause });
    this.name = 'MalformedJson';
  }
}

/**
 * Parses a JSON body (MalformedJson when it is not JSON; BadScoringRequest for `__proto__` keys). A leading UTF-8 BOM
 * is ignored, as RFC 8259 allows and Python's json.loads (MLflow's scoring server) does with bytes.
 */
export function parseJson(bytes: Buffer): unknown {
  const decoded = bytes.toString('utf8');
  const text = decoded.startsWith('\uFEFF') ? decoded.slice(1) : decoded;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new MalformedJson(err);
  }
  refuseProtoKeys(text, body);
  return body;
}
