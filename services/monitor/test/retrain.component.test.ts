import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, requestReply } from '@mlops/bus';
import {
  CONSUMERS,
  type EventSubject,
  STREAMS,
  SUBJECTS,
  type TuneRequestInput,
  TuneRequestSchema,
} from '@mlops/contracts';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import {
  buildWorld,
  INFORMATIVE,
  logTraffic,
  type NatsServerHandle,
  okReply,
  registerWorldModel,
  startNatsServer,
  until,
  type World,
} from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createMonitor, type MonitorService } from '../src/service.js';
import { recordEvents } from './event-log.js';

const logger = createLogger({ service: 'retrain-test', level: 'silent' });
let nats: NatsServerHandle;
let bus: Bus;
let monitor: MonitorService;
let mlflow: MlflowClient;
let world: World;
let dataDir: string;
let recorded: ReturnType<typeof recordEvents>;
/** Tune requests that reached the trainer's subject: this test answers them as the trainer's intake would. */
const tuneRequests: TuneRequestInput[] = [];

const events = <S extends EventSubject>(subject: S, model: string) => recorded.of(subject, model);

function settings(overrides: Record<string, string> = {}) {
  return loadConfig({
    NATS_URL: nats.url,
    MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'),
    MONITOR_PORT: '0',
    MONITOR_WINDOW_ROWS: '500',
    MONITOR_WINDOW_SECONDS: '30',
    MONITOR_DRIFT_SHARE: '0.25',
    MONITOR_MLFLOW_RUNS: 'false',
    MONITOR_RETRAIN_DRIFT_WINDOWS: '2',
    MONITOR_RETRAIN_MIN_LABELS: '400',
    MONITOR_RETRAIN_COOLDOWN_SECONDS: '600',
    MONITOR_RETRAIN_DATA_DIR: dataDir,
    ...overrides,
  });
}

async function metric(line: string): Promise<string | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${monitor.port}/metrics`)).text();
  return text.split('\n').find((l) => l.startsWith(line));
}

/** Labels for logged rows, from the world's truth: the ids are rows [from, from + ids.length) of the traffic. */
function truthOf(ids: string[], from: number) {
  return ids.map((id, i) => ({ prediction_id: id, label: world.traffic.y[from + i] as 0 | 1 }));
}

beforeAll(async () => {
  world = buildWorld();
  dataDir = await mkdtemp(join(tmpdir(), 'retrain-data-'));
  nats = await startNatsServer();
  mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  bus = await connectBus({ servers: nats.url, name: 'retrain-test-client', logger });
  bus.connection.subscribe(SUBJECTS.tuneRequested, {
    callback: (_err, msg) => {
      const body: unknown = JSON.parse(msg.string());
      const parsed = TuneRequestSchema.safeParse(body);
      tuneRequests.push(body as TuneRequestInput);
      msg.respond(
        JSON.stringify(
          parsed.success
            ? { status: 'accepted', tuning_id: parsed.data.tuning_id, trial_count: 15 }
            : { status: 'rejected', tuning_id: null, errors: [{ path: '(request)', message: parsed.error.message }] },
        ),
      );
    },
  });
  monitor = createMonitor(settings(), {
    bus: await connectBus({ servers: nats.url, name: 'monitor', logger }),
    logger,
  });
  await monitor.start();
  recorded = recordEvents(bus.connection, [SUBJECTS.retrainRequested, SUBJECTS.retrainSkipped, SUBJECTS.driftDetected]);
}, 120_000);

afterAll(async () => {
  await monitor?.stop();
  await bus?.close();
  await nats?.stop();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('monitor: retraining on drift', () => {
  it('when drift lasts K windows and M labels arrive, then one retrain is requested on exactly the labelled rows, pinned by digest; later triggers wait for it, then for the cooldown', async () => {
    const name = `re_${randomUUID().slice(0, 8)}`;
    const version = await registerWorldModel(mlflow, world, name);
    const shift = { columns: INFORMATIVE, by: 1 };
    await logTraffic(bus, world, { model: name, version, from: 0, rows: 1000, tag: 'a' });
    const shifted = await logTraffic(bus, world, { model: name, version, from: 1000, rows: 1500, tag: 'b', shift });
    await until('drift.detected', () => events(SUBJECTS.driftDetected, name)[0]);
    const skipped = await until('a skip for too few labels', () => events(SUBJECTS.retrainSkipped, name)[0]);
    expect(skipped.data).toMatchObject({ trigger: 'drift', reason: 'too_few_labels' });
    const labels = truthOf(shifted.slice(0, 450), 1000);
    const reply = await requestReply(bus.connection, SUBJECTS.feedbackReceived, labels, { timeoutMs: 15_000 });
    expect(reply).toMatchObject({ status: 'accepted', accepted: 450 });

    const requested = await until('retrain.requested', () => events(SUBJECTS.retrainRequested, name)[0]);
    const { dataset } = requested.data;
    expect(requested.data).toMatchObject({ retrain_id: `${name}:${version}:1`, version, trigger: 'drift' });
    expect(dataset).toMatchObject({ rows: 450, positives: labels.filter((l) => l.label === 1).length });
    const text = await readFile(join(dataDir, dataset.path), 'utf8');
    expect(createHash('sha256').update(text).digest('hex')).toBe(dataset.sha256);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe([...Array.from({ length: 20 }, (_, j) => `x${j}`), 'y'].join(','));
    const firstRow = Array.from(world.traffic.X.data.subarray(1000 * 20, 1001 * 20), (v, j) => (j < 5 ? v + 1 : v));
    expect(lines[1]).toBe(`${firstRow.join(',')},${world.traffic.y[1000]}`);
    expect(lines).toHaveLength(451);
    await until('the tune request', () =>
      tuneRequests.some((r) => r.tuning_id === requested.data.tuning_id) ? true : undefined,
    );
    expect(tuneRequests.find((r) => r.tuning_id === requested.data.tuning_id)).toEqual({
      tuning_id: requested.data.tuning_id,
      dataset: { kind: 'csv', path: dataset.path, target: 'y', features: 'matrix', digest: dataset.sha256 },
      split: { test_size: 0.2, random_state: 42, stratify: true },
      selection_metric: 'accuracy',
      experiment_name: name,
      registered_model_name: name,
      gate: { significance: 'bootstrap', alpha: 0.05 },
      lineage: {
        retrain_id: requested.data.retrain_id,
        trigger: 'drift',
        detail: requested.data.detail,
        replaces_version: version,
        dataset,
      },
    });
    expect(await metric(`monitor_retrain_in_flight{model_name="${name}"}`)).toMatch(/ 1$/);

    const more = await logTraffic(bus, world, { model: name, version, from: 2500, rows: 1000, tag: 'c', shift });
    await requestReply(bus.connection, SUBJECTS.feedbackReceived, truthOf(more, 2500), { timeoutMs: 15_000 });
    await until('a skip while in flight', () =>
      events(SUBJECTS.retrainSkipped, name).find((e) => e.data.reason === 'in_flight'),
    );
    await bus.publishEvent(
      SUBJECTS.modelRejected,
      {
        tuning_id: requested.data.tuning_id,
        trial_id: `${requested.data.tuning_id}-0`,
        run_id: 'run-of-the-challenger',
        name,
        version: String(Number(version) + 1),
        champion_version: version,
        metric: { name: 'accuracy', challenger: 0.8, champion: 0.85 },
        difference: -0.05,
        interval: null,
        p_value: null,
        reason: 'not better',
        retrain_id: requested.data.retrain_id,
        rejected_at: new Date().toISOString(),
      },
      { key: `${name}:${requested.data.tuning_id}` },
    );
    await expect
      .poll(() => metric(`monitor_retrain_in_flight{model_name="${name}"}`), { timeout: 15_000 })
      .toMatch(/ 0$/);
    const history = okReply(
      await requestReply(bus.connection, SUBJECTS.monitorHistory, { model: name }, { timeoutMs: 15_000 }),
    );
    expect(history.retrains[0]?.outcome).toMatchObject({ verdict: 'rejected', run_id: 'run-of-the-challenger' });
    await logTraffic(bus, world, { model: name, version, from: 3500, rows: 1000, tag: 'd', shift });
    await until('a skip for the cooldown', () =>
      events(SUBJECTS.retrainSkipped, name).find((e) => e.data.reason === 'cooldown'),
    );
    expect(events(SUBJECTS.retrainRequested, name)).toHaveLength(1);
    expect(
      await metric(`monitor_retrain_decisions_total{model_name="${name}",trigger="drift",outcome="requested"}`),
    ).toMatch(/ 1$/);
  }, 180_000);
});

describe('monitor: only the served version is retrained', () => {
  it('when labels arrive late for a drifting version that is no longer served, then it is not retrained', async () => {
    const name = `re_${randomUUID().slice(0, 8)}`;
    const old = await registerWorldModel(mlflow, world, name);
    const served = await registerWorldModel(mlflow, world, name);
    const shift = { columns: INFORMATIVE, by: 1 };
    const drifting = await logTraffic(bus, world, {
      model: name,
      version: old,
      from: 20_000,
      rows: 1500,
      tag: 'f',
      shift,
    });
    await until('drift.detected of the old version', () => events(SUBJECTS.driftDetected, name)[0]);
    await logTraffic(bus, world, { model: name, version: served, from: 22_000, rows: 200, tag: 'g' });
    // The old version's labels must come after the monitor read these rows (which make `served` the served one).
    await until(
      "the served version's rows read",
      async () => {
        const servedStatus = await requestReply(
          bus.connection,
          SUBJECTS.monitorStatus,
          { name, version: served },
          { timeoutMs: 15_000 },
        );
        return (okReply(servedStatus).versions[0]?.performance.predictions ?? 0) >= 200 ? true : undefined;
      },
      30_000,
    );
    const status = await requestReply(
      bus.connection,
      SUBJECTS.monitorStatus,
      { name, version: old },
      { timeoutMs: 15_000 },
    );
    expect(okReply(status).versions[0]?.drift_since_window).not.toBeNull();
    const labels = truthOf(drifting, 20_000);
    expect(await requestReply(bus.connection, SUBJECTS.feedbackReceived, labels, { timeoutMs: 15_000 })).toMatchObject({
      accepted: 1500,
    });
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a weighing would come within a second and a tick
    expect(events(SUBJECTS.retrainRequested, name)).toEqual([]);
    expect(
      events(SUBJECTS.retrainSkipped, name).filter((e) => e.data.version === old && e.data.reason !== 'too_few_labels'),
    ).toEqual([]);
    const byHand = await requestReply(bus.connection, SUBJECTS.monitorRetrain, { model: name }, { timeoutMs: 60_000 });
    expect(byHand).toMatchObject({ status: 'skipped', reason: 'too_few_labels' });
    const decided = await until('the skip by hand', () =>
      events(SUBJECTS.retrainSkipped, name).find((e) => e.data.trigger === 'manual'),
    );
    expect(decided.data.version).toBe(served);
  }, 120_000);
});

describe('monitor: retraining by hand', () => {
  it('when asked by hand, then a retrain starts without drift and names who asked; a second request waits for it', async () => {
    const name = `re_${randomUUID().slice(0, 8)}`;
    const version = await registerWorldModel(mlflow, world, name);
    const ids = await logTraffic(bus, world, { model: name, version, from: 10_000, rows: 200, tag: 'e' });
    await requestReply(bus.connection, SUBJECTS.feedbackReceived, truthOf(ids, 10_000), { timeoutMs: 15_000 });
    const ask = () =>
      requestReply(
        bus.connection,
        SUBJECTS.monitorRetrain,
        { model: name, reason: 'new price list', requested_by: 'ana' },
        { timeoutMs: 60_000 },
      );
    const first = await ask();
    expect(first).toMatchObject({
      status: 'requested',
      retrain: { trigger: 'manual', detail: 'asked by ana: new price list', version, dataset: { rows: 200 } },
    });
    expect(await ask()).toMatchObject({ status: 'skipped', reason: 'in_flight' });
    const unknown = await requestReply(
      bus.connection,
      SUBJECTS.monitorRetrain,
      { model: 'nobody' },
      { timeoutMs: 15_000 },
    );
    expect(unknown).toEqual({
      status: 'skipped',
      reason: 'no_champion',
      message: 'no prediction of nobody is kept: nothing to retrain from',
    });
    const bad = await requestReply(bus.connection, SUBJECTS.monitorRetrain, '{"force": true}', { timeoutMs: 15_000 });
    expect(bad).toMatchObject({ status: 'skipped', reason: 'failed' });
    expect(bad.status === 'skipped' && bad.message).toMatch(/not a retrain request: .*force/);
  }, 120_000);

  it('when a retrain tuning ends with no verdict to come (the worker refused it, or every trial failed), then the retrain ends as failed at once and the next may start', async () => {
    const name = `rf_${randomUUID().slice(0, 8)}`;
    const version = await registerWorldModel(mlflow, world, name);
    const ids = await logTraffic(bus, world, { model: name, version, from: 12_000, rows: 200, tag: 'f' });
    await requestReply(bus.connection, SUBJECTS.feedbackReceived, truthOf(ids, 12_000), { timeoutMs: 15_000 });
    const ask = () => requestReply(bus.connection, SUBJECTS.monitorRetrain, { model: name }, { timeoutMs: 60_000 });
    const history = async () =>
      okReply(await requestReply(bus.connection, SUBJECTS.monitorHistory, { model: name }, { timeoutMs: 15_000 }));
    const first = await ask();
    if (first.status !== 'requested') throw new Error(`no retrain: ${JSON.stringify(first)}`);
    expect(await ask()).toMatchObject({ status: 'skipped', reason: 'in_flight' });
    const refused = { path: 'dataset', message: 'column "x3" has no value in the training rows' };
    // A bad request that only claims the retrain's tuning id is the intake's refusal (id by uuid): the retrain goes on.
    const claimed = { tuning_id: first.retrain.tuning_id, errors: [refused], rejected_at: new Date().toISOString() };
    const { seq } = await bus.publishEvent(SUBJECTS.tuneRejected, claimed, { key: randomUUID() });
    const jsm = await jetstreamManager(bus.connection);
    await until('the monitor handled the claimed refusal', async () => {
      const info = await jsm.consumers.info(STREAMS.tuneRequests.name, CONSUMERS.monitorTuneRejected);
      return info.ack_floor.stream_seq >= seq ? true : undefined;
    });
    expect(await ask()).toMatchObject({ status: 'skipped', reason: 'in_flight' });
    await bus.publishEvent(
      SUBJECTS.tuneRejected,
      { tuning_id: first.retrain.tuning_id, errors: [refused], rejected_at: new Date().toISOString() },
      { key: first.retrain.tuning_id },
    );
    const second = await until('a retrain after the refused one', async () => {
      const reply = await ask();
      return reply.status === 'requested' ? reply : undefined;
    });
    expect((await history()).retrains[1]).toMatchObject({
      retrain: { retrain_id: first.retrain.retrain_id },
      outcome: { verdict: 'failed', version: null, reason: expect.stringContaining('column "x3" has no value') },
    });

    const lineage = tuneRequests.find((r) => r.tuning_id === second.retrain.tuning_id)?.lineage;
    if (lineage === undefined) throw new Error('the second tune request carried no lineage');
    await bus.publishEvent(
      SUBJECTS.tuningCompleted,
      {
        tuning_id: second.retrain.tuning_id,
        experiment_name: name,
        registered_model_name: name,
        trial_count: 15,
        completed: 0,
        failed: 15,
        selection_metric: 'accuracy',
        gate: {},
        lineage,
        ended_at: new Date().toISOString(),
      },
      { key: second.retrain.tuning_id },
    );
    await until('the second retrain over', async () => {
      const [newest] = (await history()).retrains;
      return newest?.outcome?.verdict === 'failed' ? newest : undefined;
    });
    expect((await history()).retrains[0]?.outcome?.reason).toBe(
      `no trial of tuning ${second.retrain.tuning_id} succeeded (15 of 15 failed): nothing to judge`,
    );
    expect(await ask()).toMatchObject({ status: 'requested' });

    // Each failure is the retrain's own record too: after a restart with the tunings' events aged out of their streams
    // (30 days; purged here), history still names both.
    const failures = await until('both retrain.failed stored', async () => {
      const stored = await jsm.streams.info(STREAMS.retrain.name, { subjects_filter: SUBJECTS.retrainFailed });
      return (stored.state.subjects?.[SUBJECTS.retrainFailed] ?? 0) >= 2 ? stored : undefined;
    });
    expect(failures.state.subjects?.[SUBJECTS.retrainFailed]).toBe(2);
    const past = (await history()).retrains.slice(1, 3);
    expect(past.map((r) => r.outcome?.verdict)).toEqual(['failed', 'failed']);
    const restart = async () => {
      await monitor.stop();
      monitor = createMonitor(settings(), {
        bus: await connectBus({ servers: nats.url, name: 'monitor', logger }),
        logger,
      });
      await monitor.start();
    };
    for (const stream of [STREAMS.tuneRequests, STREAMS.tuningEvents]) {
      expect((await jsm.streams.info(stream.name)).config.max_age).toBe(nanos(30 * 24 * 3600 * 1000));
      await jsm.streams.purge(stream.name);
    }
    await restart();
    expect((await history()).retrains.slice(1, 3)).toEqual(past);
  }, 120_000);
});
