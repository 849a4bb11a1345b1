// The pipeline the benchmark serves from: real nats-server and MLflow (testkit), the trainer and the tracker in this
// process, and a NATS client that sends tune requests and hears `model.registered`.
import { randomUUID } from 'node:crypto';
import { connectBus } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import { createMlflowClient } from '@mlops/mlflow';
import { MODEL_FILES, parseWeights } from '@mlops/model-format';
import { createLogger } from '@mlops/service-kit';
import { startMlflowServer, startNatsServer } from '@mlops/testkit';
import { createTracker, loadConfig as trackerConfig } from '@mlops/tracker';
import { createTrainer, natsTrainerBus, loadConfig as trainerConfig } from '@mlops/trainer';
import { connect } from '@nats-io/transport-node';
import { onCleanUp } from './processes.js';

/** The registered model every server of the benchmark serves. */
export const MODEL_NAME = 'One_Customer_Classifier';

/**
 * Starts nats-server, MLflow, the trainer and the tracker (each stopped by the clean-up; `env` adds to their
 * settings, e.g. TRAINER_DATA_DIR) and returns what the benchmark needs from them: their addresses, `tune` (one
 * small tuning, with more request fields in `extra`, resolved with its `model.registered` event) and `weights` (a
 * version's weights.json as the predictor loads it).
 */
export async function startStack(root, env = {}) {
  const nats = await startNatsServer();
  onCleanUp(() => nats.stop());
  const mlflowServer = await startMlflowServer();
  onCleanUp(() => mlflowServer.stop());
  const serviceEnv = { NATS_URL: nats.url, MLFLOW_TRACKING_URI: mlflowServer.trackingUri, LOG_LEVEL: 'warn', ...env };
  const logger = createLogger({ service: 'bench-serve', level: 'warn' });
  const bus = () => connectBus({ servers: nats.url, name: 'bench-serve', logger });
  const trainerSettings = trainerConfig(serviceEnv, root);
  const trainer = createTrainer(trainerSettings, { bus: natsTrainerBus(await bus(), trainerSettings), logger });
  const tracker = createTracker(trackerConfig(serviceEnv), { bus: await bus(), logger });
  for (const service of [trainer, tracker]) {
    await service.start();
    onCleanUp(() => service.stop());
  }
  const client = await connect({ servers: nats.url });
  onCleanUp(() => client.drain());
  const mlflow = createMlflowClient({ trackingUri: mlflowServer.trackingUri });
  return {
    natsUrl: nats.url,
    trackingUri: mlflowServer.trackingUri,
    tune: (grid, extra = {}) => tune(client, grid, extra),
    /** One tuning whose version becomes champion: promoted by the gate, or by registry.promote when the gate kept it out. */
    tuneAndPromote: async (grid) => {
      const verdict = await tune(client, grid, {}, { rejected: true });
      return verdict.promoted ? verdict : { ...(await promote(client, verdict.version)), promoted: false };
    },
    weights: (version) => downloadWeights(mlflow, version),
  };
}

/**
 * Resolves with the data of the first event on one of `subjects` that `match`es (subscribed before `trigger` runs);
 * rejects after `timeoutMs` saying `what` did not come.
 */
async function firstEvent(client, subjects, match, trigger, what, timeoutMs = 120_000) {
  const subscriptions = [];
  const arrived = new Promise((resolve, reject) => {
    const done = (settle) => {
      clearTimeout(timer);
      for (const s of subscriptions) s.unsubscribe();
      settle();
    };
    const timer = setTimeout(() => done(() => reject(new Error(`${what} within ${timeoutMs} ms`))), timeoutMs);
    for (const subject of subjects) {
      const callback = (_error, message) => {
        const event = message.json();
        if (match(event.data)) done(() => resolve({ subject, data: event.data }));
      };
      subscriptions.push(client.subscribe(subject, { callback }));
    }
  });
  await trigger();
  return await arrived;
}

/**
 * Sends one tune request for {@link MODEL_NAME} and resolves with its tracker's verdict: the `model.registered` data
 * with `promoted: true`, or (the promotion gate kept it out: not better than the champion) the `model.rejected` data
 * with `promoted: false`. With `rejected: false` only `model.registered` counts.
 */
async function tune(client, grid, extra, { rejected = false } = {}) {
  const tuningId = `bench-${randomUUID().slice(0, 8)}`;
  const subjects = rejected ? [SUBJECTS.modelRegistered, SUBJECTS.modelRejected] : [SUBJECTS.modelRegistered];
  const body = { tuning_id: tuningId, experiment_name: MODEL_NAME, registered_model_name: MODEL_NAME, grid, ...extra };
  const event = await firstEvent(
    client,
    subjects,
    (data) => data?.tuning_id === tuningId,
    async () => {
      const reply = (await client.request(SUBJECTS.tuneRequested, JSON.stringify(body), { timeout: 10_000 })).json();
      if (reply.status !== 'accepted') throw new Error(`tune request rejected: ${JSON.stringify(reply)}`);
    },
    `tuning ${tuningId}: no ${subjects.join(' or ')}`,
  );
  return { ...event.data, promoted: event.subject === SUBJECTS.modelRegistered };
}

/** Moves `champion` to `version` (registry.promote, as `mlops promote` does) and resolves with its `model.registered`. */
async function promote(client, version) {
  const request = { name: MODEL_NAME, version, reason: 'bench:serve swap', by: 'bench:serve' };
  const event = await firstEvent(
    client,
    [SUBJECTS.modelRegistered],
    (data) => data?.name === MODEL_NAME && data.version === version,
    async () => {
      const reply = (
        await client.request(SUBJECTS.registryPromote, JSON.stringify(request), { timeout: 10_000 })
      ).json();
      if (reply.status === 'rejected') throw new Error(`promote v${version} refused: ${JSON.stringify(reply)}`);
    },
    `promote v${version}: no model.registered`,
  );
  return event.data;
}

/** The weights.json of `models:/One_Customer_Classifier/<version>`, fetched and validated as the predictor does. */
async function downloadWeights(mlflow, version) {
  const resolved = await mlflow.resolveModelUri(`models:/${MODEL_NAME}/${version}`);
  if (resolved === null) throw new Error(`models:/${MODEL_NAME}/${version} does not exist`);
  const bytes = await mlflow.downloadArtifact({ artifactUri: resolved.artifactUri, path: MODEL_FILES.weights });
  return parseWeights(new TextDecoder().decode(bytes));
}
