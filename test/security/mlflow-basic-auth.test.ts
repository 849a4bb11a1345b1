import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { connectBus } from '@mlops/bus';
import { SUBJECTS, type TuneReply } from '@mlops/contracts';
import { createMlflowClient, MlflowApiError } from '@mlops/mlflow';
import { createPredictor, loadConfig as predictorConfig } from '@mlops/predictor';
import { createLogger } from '@mlops/service-kit';
import { type MlflowServerHandle, type NatsServerHandle, startMlflowServer, startNatsServer } from '@mlops/testkit';
import { createTracker, loadConfig as trackerConfig } from '@mlops/tracker';
import { createTrainer, natsTrainerBus, loadConfig as trainerConfig } from '@mlops/trainer';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PASSWORD = `pw-${randomUUID()}`;
const modelName = `auth_${randomUUID().slice(0, 8)}`;
const logLines: string[] = [];
const logger = createLogger({
  service: 'auth-test',
  level: 'debug',
  destination: new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
});
let mlflowServer: MlflowServerHandle;
let nats: NatsServerHandle;
const stops: (() => Promise<void>)[] = [];
let predictorUrl: string;

beforeAll(async () => {
  [mlflowServer, nats] = await Promise.all([
    startMlflowServer({ basicAuthAdminPassword: PASSWORD }),
    startNatsServer(),
  ]);
  const env = {
    NATS_URL: nats.url,
    MLFLOW_TRACKING_URI: mlflowServer.trackingUri,
    MLFLOW_TRACKING_USERNAME: 'admin',
    MLFLOW_TRACKING_PASSWORD: PASSWORD,
    LOG_LEVEL: 'debug',
  };
  const bus = () => connectBus({ servers: nats.url, name: 'auth', logger });
  const trainer = createTrainer(trainerConfig(env, process.cwd()), { bus: natsTrainerBus(await bus()), logger });
  const tracker = createTracker(trackerConfig(env), { bus: await bus(), logger });
  const predictor = createPredictor(
    predictorConfig({ ...env, MODEL_NAME: modelName, PREDICTOR_PORT: '0', PREDICTOR_MODEL_POLL_MS: '1000' }),
    { bus: await bus(), logger },
  );
  for (const service of [trainer, tracker, predictor]) {
    await service.start();
    stops.unshift(() => service.stop());
  }
  predictorUrl = `http://127.0.0.1:${predictor.port}`;
}, 120_000);

afterAll(async () => {
  for (const stop of stops) await stop();
  await Promise.all([nats?.stop(), mlflowServer?.stop()]);
});

describe('MLflow with basic authentication (mlflow server --app-name basic-auth)', () => {
  it('when a client has no or wrong credentials, then MLflow refuses it with 401', async () => {
    const anonymous = createMlflowClient({ trackingUri: mlflowServer.trackingUri });
    await expect(anonymous.getOrCreateExperiment('nope')).rejects.toMatchObject({ status: 401 });
    const wrong = createMlflowClient({ trackingUri: mlflowServer.trackingUri, username: 'admin', password: 'wrong' });
    await expect(wrong.getOrCreateExperiment('nope')).rejects.toBeInstanceOf(MlflowApiError);
  });

  it('when the services get MLFLOW_TRACKING_USERNAME/PASSWORD, then a tuning is tracked, registered and served; the password is never logged', async () => {
    const client = await connect({ servers: nats.url });
    try {
      const request = JSON.stringify({ experiment_name: modelName, registered_model_name: modelName });
      const reply = (await client.request(SUBJECTS.tuneRequested, request, { timeout: 10_000 })).json<TuneReply>();
      expect(reply).toMatchObject({ status: 'accepted', trial_count: 15 });
    } finally {
      await client.close();
    }
    const deadline = Date.now() + 90_000;
    let version: string | undefined;
    while (version === undefined && Date.now() < deadline) {
      const response = await fetch(`${predictorUrl}/ready`);
      if (response.status === 200) version = ((await response.json()) as { model: { version: string } }).model.version;
      else await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(version).toBe('1');
    const admin = createMlflowClient({ trackingUri: mlflowServer.trackingUri, username: 'admin', password: PASSWORD });
    expect(await admin.getModelVersionByAlias(modelName, 'champion')).toMatchObject({ version: '1' });
    expect(logLines.length).toBeGreaterThan(5);
    const secret = Buffer.from(`admin:${PASSWORD}`).toString('base64');
    for (const line of logLines) {
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain(secret);
    }
  }, 150_000);
});
