import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import {
  compilePreprocessor,
  encodedFeatureNames,
  fitPreprocessor,
  LogisticRegression,
  makeClassification,
  type RawTable,
} from '@mlops/ml';
import { modelFromWeights, WEIGHTS_FORMAT, type WeightsFile } from '@mlops/model-format';
import { createLogger, type Logger } from '@mlops/service-kit';
import { createPredictorMetrics, type PredictorMetrics } from '../../src/adapters/metrics.js';
import { type AllowedHosts, defaultAllowedHosts } from '../../src/allowed-hosts.js';
import type { AuthConfig } from '../../src/config.js';
import type { FeedbackSink, PredictionLog } from '../../src/domain/ports.js';
import { ModelSlot, type ServedModel, type TableInput } from '../../src/domain/served-model.js';
import { createHttpListener } from '../../src/entry-points/http.js';
import { closeServer, createHttpServer, listen } from '../../src/entry-points/server.js';

/** A model fitted on a small synthetic set, as the loader would hand it over. */
export function fittedModel(options: { version?: number; features?: number; name?: string } = {}): ServedModel {
  const version = options.version ?? 1;
  const width = options.features ?? 20;
  const { X, y } = makeClassification({
    nSamples: 150,
    nFeatures: width,
    nInformative: Math.min(2, width),
    nRedundant: width > 2 ? 1 : 0,
    randomState: version,
  });
  return {
    name: options.name ?? 'One_Customer_Classifier',
    version: String(version),
    versionNumber: version,
    alias: 'champion',
    runId: `run-${version}`,
    modelUri: `models:/${options.name ?? 'One_Customer_Classifier'}/${version}`,
    featureNames: Array.from({ length: width }, (_, j) => `x${j}`),
    model: new LogisticRegression({ solver: 'lbfgs' }).fit(X, y),
    training: { solver: 'lbfgs', params: { C: 1 }, metrics: { accuracy: 0.9 }, trainedAt: '2026-11-28T00:00:00.000Z' },
    loadedAt: new Date(),
  };
}

/** The training rows of the test table model: a numeric column, a text and a number category, missing cells in each. */
const TABLE_TRAINING: RawTable = {
  rows: 8,
  columns: [
    { name: 'tenure', kind: 'number', values: Float64Array.from([1, 5, 12, Number.NaN, 30, 2, 24, 8]) },
    { name: 'plan', kind: 'text', values: ['basic', 'plus', 'plus', null, 'pro', 'basic', 'pro', 'plus'] },
    { name: 'seats', kind: 'number', values: Float64Array.from([1, 2, 2, 3, Number.NaN, 1, 3, 2]) },
  ],
};

/**
 * weights.json of a table model fitted on TABLE_TRAINING: tenure (numeric), plan (categories basic, plus, pro and
 * missing) and seats (categories 1, 2, 3 and missing), as the trainer writes it.
 */
export function tableWeights(): Omit<WeightsFile, 'format'> {
  const preprocessing = fitPreprocessor(
    TABLE_TRAINING,
    { numeric: ['tenure'], categorical: ['plan', 'seats'] },
    { numericImpute: 'mean', scale: true, categoricalMissing: 'category' },
  );
  const X = compilePreprocessor(preprocessing).transform(TABLE_TRAINING);
  const model = new LogisticRegression({ solver: 'lbfgs' }).fit(X, Float64Array.from([0, 1, 1, 0, 1, 0, 1, 0]));
  return {
    classes: [0, 1],
    coef: Array.from(model.coef),
    intercept: model.intercept,
    feature_names: encodedFeatureNames(preprocessing),
    input_columns: [
      { name: 'tenure', kind: 'number', role: 'numeric' },
      { name: 'plan', kind: 'text', role: 'categorical' },
      { name: 'seats', kind: 'number', role: 'categorical' },
    ],
    preprocessing,
    solver: 'lbfgs',
    params: { C: 1 },
    metrics: {},
    trained_at: '2026-11-28T00:00:00.000Z',
    dataset_digest: '0123456789abcdef',
  };
}

/** The table model of tableWeights() as the loader would hand it over. */
export function tableModel(): ServedModel & { readonly table: TableInput } {
  const weights = tableWeights();
  const { model, table } = modelFromWeights({ format: WEIGHTS_FORMAT, ...weights });
  if (table === undefined) throw new Error('tableWeights() must describe a table model');
  return { ...fittedModel({ name: 'Table_Classifier' }), featureNames: weights.feature_names, model, table };
}

/** A predictor HTTP server on a free port, with its slot and metrics, for tests. */
export interface TestServer {
  readonly base: string;
  readonly slot: ModelSlot;
  readonly metrics: PredictorMetrics;
  readonly server: Server;
  close(): Promise<void>;
}

/** Starts the real listener and server (the service's own) with the given limits, auth and ports; no NATS, no MLflow. */
export async function startTestServer(
  options: {
    model?: ServedModel;
    maxBodyBytes?: number;
    maxRows?: number;
    requestTimeoutMs?: number;
    auth?: Partial<AuthConfig>;
    /** The Hosts answered; without it, the default of a predictor bound to 127.0.0.1 (where it listens). */
    allowedHosts?: AllowedHosts;
    logger?: Logger;
    predictionLog?: PredictionLog;
    feedback?: FeedbackSink;
    /** As a worker of a multi-process predictor: its request id prefix and summed /metrics. */
    worker?: { requestIdPrefix: string; exposition: () => Promise<string> };
  } = {},
): Promise<TestServer> {
  const slot = new ModelSlot();
  if (options.model !== undefined) slot.offer(options.model);
  const metrics = createPredictorMetrics();
  const listener = createHttpListener({
    slot,
    limits: { maxBodyBytes: options.maxBodyBytes ?? 64 * 1024, maxRows: options.maxRows ?? 100 },
    auth: { tokens: [], protectHealth: false, protectMetrics: false, ...options.auth },
    allowedHosts: options.allowedHosts ?? defaultAllowedHosts('127.0.0.1'),
    metrics,
    logger: options.logger ?? createLogger({ service: 'test', level: 'silent' }),
    ...(options.predictionLog === undefined ? {} : { predictionLog: options.predictionLog }),
    ...(options.feedback === undefined
      ? {}
      : { feedback: { sink: options.feedback, modelName: 'One_Customer_Classifier' } }),
    ...options.worker,
  });
  const server = await listen(createHttpServer(listener, options.requestTimeoutMs ?? 30_000), 0, '127.0.0.1');
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    slot,
    metrics,
    server,
    close: () => closeServer(server),
  };
}

/** An HTTP call answered as status, headers, text and (when it parses) JSON. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' },
) {
  const response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever shape each protocol answers
  return { status: response.status, headers: response.headers, text, json: json as any };
}

/** Sends raw bytes on a new connection and resolves with everything received until the server closes it. */
export function rawExchange(base: string, bytes: string): Promise<string> {
  const { port } = new URL(base);
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(bytes));
    let received = '';
    socket.on('data', (chunk) => {
      received += String(chunk);
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    setTimeout(() => reject(new Error('no answer within 5 s')), 5000).unref();
  });
}
