import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ConnectError, connectBus, requestReply, securityOptions } from '@mlops/bus';
import { SUBJECTS } from '@mlops/contracts';
import { createMlflowClient, MlflowApiError } from '@mlops/mlflow';
import { createPredictor, loadConfig as predictorConfig } from '@mlops/predictor';
import { createLogger } from '@mlops/service-kit';
import {
  createTestCertificates,
  type MlflowServerHandle,
  type NatsServerHandle,
  startMlflowServer,
  startNatsServer,
  type TestCertificates,
} from '@mlops/testkit';
import { createTracker, loadConfig as trackerConfig } from '@mlops/tracker';
import { createTrainer, natsTrainerBus, loadConfig as trainerConfig } from '@mlops/trainer';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PASSWORD = `pw-${randomUUID()}`;
const NATS_PASSWORD = `nats-${randomUUID()}`;
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
let certDir: string;
let certs: TestCertificates;
let natsEnv: Record<string, string>;
const stops: (() => Promise<void>)[] = [];
let predictorUrl: string;

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), 'mlops-certs-'));
  certs = await createTestCertificates(certDir);
  [mlflowServer, nats] = await Promise.all([
    startMlflowServer({ basicAuthAdminPassword: PASSWORD }),
    startNatsServer({
      auth: { user: 'pipeline', password: NATS_PASSWORD },
      tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile },
    }),
  ]);
  natsEnv = {
    NATS_URL: nats.url,
    NATS_USER: 'pipeline',
    NATS_PASSWORD,
    NATS_CA: certs.caFile,
    NATS_CERT: certs.clientCertFile,
    NATS_KEY: certs.clientKeyFile,
  };
  const env = {
    ...natsEnv,
    MLFLOW_TRACKING_URI: mlflowServer.trackingUri,
    MLFLOW_TRACKING_USERNAME: 'admin',
    MLFLOW_TRACKING_PASSWORD: PASSWORD,
    LOG_LEVEL: 'debug',
  };
  const trainerCfg = trainerConfig(env, process.cwd());
  const trackerCfg = trackerConfig(env);
  const predictorCfg = predictorConfig({
    ...env,
    MODEL_NAME: modelName,
    PREDICTOR_PORT: '0',
    PREDICTOR_MODEL_POLL_MS: '1000',
  });
  logger.info({ config: trackerCfg, env }, 'configs (logged on purpose: secrets must come out redacted)');
  const bus = (security: typeof trainerCfg.natsSecurity) =>
    connectBus({ servers: trainerCfg.natsServers, security, name: 'secured', logger });
  const trainer = createTrainer(trainerCfg, {
    bus: natsTrainerBus(await bus(trainerCfg.natsSecurity), trainerCfg),
    logger,
  });
  const tracker = createTracker(trackerCfg, { bus: await bus(trackerCfg.natsSecurity), logger });
  const predictor = createPredictor(predictorCfg, { bus: await bus(predictorCfg.natsSecurity), logger });
  for (const service of [trainer, tracker, predictor]) {
    await service.start();
    stops.unshift(() => service.stop());
  }
  predictorUrl = `http://127.0.0.1:${predictor.port}`;
}, 120_000);

afterAll(async () => {
  for (const stop of stops) await stop();
  await Promise.all([nats?.stop(), mlflowServer?.stop()]);
  await rm(certDir, { recursive: true, force: true });
});

describe('a secured stack: NATS with a password and mutual TLS, MLflow with basic authentication', () => {
  it('when a client has no or wrong credentials, then MLflow refuses it with 401', async () => {
    const anonymous = createMlflowClient({ trackingUri: mlflowServer.trackingUri });
    await expect(anonymous.getOrCreateExperiment('nope')).rejects.toMatchObject({ status: 401 });
    const wrong = createMlflowClient({ trackingUri: mlflowServer.trackingUri, username: 'admin', password: 'wrong' });
    await expect(wrong.getOrCreateExperiment('nope')).rejects.toBeInstanceOf(MlflowApiError);
  });

  it('when a NATS client lacks the password or the client certificate, then connecting fails with a clear error', async () => {
    const tls = { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
    const attempt = (security: Parameters<typeof securityOptions>[0]) =>
      connectBus({ servers: nats.url, security, name: 'intruder', logger });
    await expect(attempt({ user: 'pipeline', password: 'wrong', tls })).rejects.toBeInstanceOf(ConnectError);
    await expect(attempt({ user: 'pipeline', password: NATS_PASSWORD, tls: { caFile: certs.caFile } })).rejects.toThrow(
      /cannot connect to NATS.*client certificate/,
    );
  });

  it('when NATS_URL carries the user and password (tls://user:password@host), then a service connects with them and TLS', async () => {
    const inUrl = nats.url.replace(/^[a-z]+:\/\//, `tls://pipeline:${encodeURIComponent(NATS_PASSWORD)}@`);
    const { NATS_USER: _user, NATS_PASSWORD: _password, ...rest } = natsEnv;
    const config = trackerConfig({ ...rest, NATS_URL: inUrl, MLFLOW_TRACKING_URI: mlflowServer.trackingUri });
    expect(config.natsServers.join()).not.toContain(NATS_PASSWORD);
    const bus = await connectBus({
      servers: config.natsServers,
      security: config.natsSecurity,
      name: 'in-url',
      logger,
    });
    await bus.close();
    const wrong = trackerConfig({
      ...rest,
      NATS_URL: inUrl.replace('pipeline:', 'pipeline:x'),
      MLFLOW_TRACKING_URI: mlflowServer.trackingUri,
    });
    await expect(
      connectBus({ servers: wrong.natsServers, security: wrong.natsSecurity, name: 'in-url-wrong', logger }),
    ).rejects.toBeInstanceOf(ConnectError);
  });

  it('when the services get the NATS_* and MLFLOW_TRACKING_* credentials, then a tuning is tracked, registered and served; no secret is logged', async () => {
    const client = await connect({
      servers: nats.url,
      ...securityOptions({
        user: 'pipeline',
        password: NATS_PASSWORD,
        tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
      }),
    });
    try {
      const request = JSON.stringify({ experiment_name: modelName, registered_model_name: modelName });
      const reply = await requestReply(client, SUBJECTS.tuneRequested, request, { timeoutMs: 10_000 });
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
    const basic = Buffer.from(`admin:${PASSWORD}`).toString('base64');
    const all = logLines.join('');
    expect(all).toContain('[redacted]');
    for (const secret of [PASSWORD, basic, NATS_PASSWORD]) {
      expect(logLines.filter((line) => line.includes(secret)).map((line) => line.slice(0, 600))).toEqual([]);
    }
  }, 150_000);
});
