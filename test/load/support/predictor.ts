import { type ChildProcess, spawn } from 'node:child_process';
import type { EventData } from '@mlops/contracts';
import type { MlflowClient } from '@mlops/mlflow';
import { findFreePort, registerTestModel } from '@mlops/testkit';

/** The 20 feature names of the load tests' models. */
export const FEATURES = Array.from({ length: 20 }, (_, j) => `x${j}`);

/** Publishes `model.registered` (the bus's publishEvent, bound by the test). */
export type PublishRegistered = (data: EventData<'model.registered'>, key: string) => Promise<unknown>;

/** Registers a version of `name` with its own intercept, moves the alias and announces it as the tracker would. */
export async function registerAndAnnounce(
  model: { mlflow: MlflowClient; experimentId: string; name: string },
  intercept: number,
  publish: PublishRegistered,
): Promise<string> {
  const { mlflow, experimentId, name } = model;
  const coef = FEATURES.map((_, j) => (j % 2 === 0 ? 0.5 : -0.25));
  const { version, runId, modelId } = await registerTestModel(mlflow, {
    experimentId,
    name,
    weights: { coef, intercept, featureNames: FEATURES },
    runName: `v-${intercept}`,
  });
  const data = {
    tuning_id: 'load',
    trial_id: 'load-000',
    name,
    version,
    alias: 'champion',
    run_id: runId,
    model_uri: `models:/${name}/${version}`,
    source_uri: `models:/${modelId}`,
    metric: { name: 'accuracy' as const, value: 0.5 },
    registered_at: new Date().toISOString(),
  };
  await publish(data, `${name}:${version}`);
  return version;
}

/**
 * Starts the predictor's build (`services/predictor/dist/main.js`) with `env`; with `inspect`, an inspector on a free
 * port (returned), so a test can measure what it retains. Its stderr goes to the test's, Debugger banners left out.
 */
export async function spawnPredictor(
  env: NodeJS.ProcessEnv,
  options: { inspect?: boolean } = {},
): Promise<{ child: ChildProcess; inspectorPort: number }> {
  const inspectorPort = options.inspect === true ? await findFreePort() : 0;
  const main = new URL('../../../services/predictor/dist/main.js', import.meta.url).pathname;
  const args = options.inspect === true ? [`--inspect=127.0.0.1:${inspectorPort}`, main] : [main];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    if (!text.startsWith('Debugger') && !text.startsWith('For help')) process.stderr.write(text);
  });
  return { child, inspectorPort };
}

/** The environment of a predictor serving `name` on `port` with the run's nats-server and MLflow, plus `extra`. */
export function predictorEnv(
  servers: { natsUrl: string; mlflowTrackingUri: string },
  name: string,
  port: number,
  extra: Record<string, string>,
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NATS_URL: servers.natsUrl,
    MLFLOW_TRACKING_URI: servers.mlflowTrackingUri,
    MODEL_NAME: name,
    PREDICTOR_PORT: String(port),
    PREDICTOR_INSTANCE: name,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** The version GET /ready names, or undefined while the predictor is not ready. */
export async function servedVersion(base: string): Promise<string | undefined> {
  const response = await fetch(`${base}/ready`).catch(() => undefined);
  if (response?.status !== 200) return undefined;
  return ((await response.json()) as { model: { version: string } }).model.version;
}

/** Polls GET /ready until the predictor serves `version`; throws after `budgetMs`. */
export async function untilReady(base: string, version: string, budgetMs = 30_000): Promise<void> {
  const started = Date.now();
  while ((await servedVersion(base)) !== version) {
    if (Date.now() - started > budgetMs)
      throw new Error(`the predictor did not serve v${version} within ${budgetMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The requests the prediction log stored, from GET /metrics (summed over workers); NaN when absent. */
export function loggedCount(metricsText: string): number {
  return Number(/^predictor_prediction_log_published_total (\S+)$/m.exec(metricsText)?.[1] ?? Number.NaN);
}

/**
 * Polls GET /metrics until the prediction log stored at least `expected` requests (it drains after the load ends,
 * counting them when JetStream acknowledges their message), or `budgetMs` passed; returns the last exposition.
 */
export async function untilLogged(base: string, expected: number, budgetMs = 30_000): Promise<string> {
  const started = Date.now();
  for (;;) {
    const text = await (await fetch(`${base}/metrics`)).text();
    if (loggedCount(text) >= expected || Date.now() - started > budgetMs) return text;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
