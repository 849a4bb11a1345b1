import { randomUUID } from 'node:crypto';
import { type Bus, connectBus, requestReply } from '@mlops/bus';
import { type EventSubject, MAX_LISTED_FEEDBACK_ERRORS, SUBJECTS } from '@mlops/contracts';
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
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createMonitor, type MonitorService } from '../src/service.js';
import { recordEvents } from './event-log.js';

const logger = createLogger({ service: 'monitor-test', level: 'silent' });
let nats: NatsServerHandle;
let bus: Bus;
let monitor: MonitorService;
let mlflow: MlflowClient;
let world: World;
let recorded: ReturnType<typeof recordEvents>;

const events = <S extends EventSubject>(subject: S, model: string) => recorded.of(subject, model);

const windowsOf = (model: string) => events(SUBJECTS.monitorWindow, model).map((e) => e.data);

beforeAll(async () => {
  world = buildWorld();
  nats = await startNatsServer();
  mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  bus = await connectBus({ servers: nats.url, name: 'monitor-test-client', logger });
  const config = loadConfig({
    NATS_URL: nats.url,
    MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'),
    MONITOR_PORT: '0',
    MONITOR_WINDOW_ROWS: '500',
    MONITOR_WINDOW_SECONDS: '30',
    MONITOR_DRIFT_SHARE: '0.25',
    MONITOR_PERFORMANCE_MIN_LABELS: '200',
    MONITOR_RETRAIN: 'false', // retraining has its own test (retrain.component.test.ts)
  });
  monitor = createMonitor(config, { bus: await connectBus({ servers: nats.url, name: 'monitor', logger }), logger });
  await monitor.start();
  recorded = recordEvents(bus.connection, [
    SUBJECTS.monitorWindow,
    SUBJECTS.driftDetected,
    SUBJECTS.driftResolved,
    SUBJECTS.performanceDegraded,
  ]);
}, 120_000);

afterAll(async () => {
  await monitor?.stop();
  await bus?.close();
  await nats?.stop();
});

describe('monitor: drift against the served version', () => {
  it('when traffic comes from the training distribution, then 20 windows show no dataset drift and 100 windows keep false alarms rare', async () => {
    const name = `mon_${randomUUID().slice(0, 8)}`;
    const version = await registerWorldModel(mlflow, world, name);
    await logTraffic(bus, world, { model: name, version, from: 0, rows: 100 * 500, perRequest: 250, tag: 'a' });
    const windows = await until(
      '100 windows',
      () => (windowsOf(name).length >= 100 ? windowsOf(name) : undefined),
      120_000,
    );
    const alarms = windows.filter((w) => w.dataset_drift === true).length;
    console.info(
      `false alarms: ${alarms} of ${windows.length} windows of 500 in-distribution rows (${(100 * alarms) / windows.length} %)`,
    );
    expect(windows.slice(0, 20).map((w) => w.dataset_drift)).toEqual(Array(20).fill(false));
    expect(alarms / windows.length).toBeLessThan(0.05);
    expect(windows[0]).toMatchObject({ window: 0, rows: 500, reference_rows: 800, closed_by: 'rows' });
    expect(windows[0]?.features.map((f) => f.method)).toEqual(Array(20).fill('ks'));
    expect(windows.reduce((sum, w) => sum + w.rows, 0)).toBe(50_000);
  }, 180_000);

  it('when 5 informative features shift by +1.0, then drift.detected names them within 2 windows, and drift.resolved follows the return', async () => {
    const name = `mon_${randomUUID().slice(0, 8)}`;
    const version = await registerWorldModel(mlflow, world, name);
    await logTraffic(bus, world, { model: name, version, from: 0, rows: 1000, tag: 'b' });
    await logTraffic(bus, world, {
      model: name,
      version,
      from: 1000,
      rows: 1000,
      tag: 'c',
      shift: { columns: INFORMATIVE, by: 1 },
    });
    const detected = await until('drift.detected', () => events(SUBJECTS.driftDetected, name)[0]);
    expect(detected.data.window).toBeLessThanOrEqual(3);
    expect(detected.data.drifted_features).toEqual(expect.arrayContaining(INFORMATIVE));
    expect(detected.data.drifted_features.filter((f) => !INFORMATIVE.includes(f)).length).toBeLessThanOrEqual(1);
    await logTraffic(bus, world, { model: name, version, from: 2000, rows: 1000, tag: 'd' });
    const resolved = await until('drift.resolved', () => events(SUBJECTS.driftResolved, name)[0]);
    expect(resolved.data).toMatchObject({ detected_window: detected.data.window });
    expect(resolved.data.window).toBeGreaterThan(detected.data.window);
    expect(events(SUBJECTS.driftDetected, name)).toHaveLength(1);
    const shifted = windowsOf(name).find((w) => w.window === detected.data.window);
    expect(shifted?.prediction).toMatchObject({ name: 'prediction', method: 'ks' });
    expect(shifted?.drifted_features).toEqual(detected.data.drifted_features);
    // where a restart dates the episode from when drift.detected outlived its window: the window's earliest row
    const since = detected.data.first_predicted_at ?? '';
    expect(shifted?.checkpoints[`${name}:${version}`]?.drift_since_at).toBe(since);
    expect(Date.parse(since)).toBeLessThan(Date.parse(detected.data.detected_at));
  }, 120_000);

  it('when champion moves on while a version drifts, then its episode ends as superseded and its later windows open none', async () => {
    const name = `mon_${randomUUID().slice(0, 8)}`;
    const version = await registerWorldModel(mlflow, world, name);
    const shift = { columns: INFORMATIVE, by: 1 };
    await logTraffic(bus, world, { model: name, version, from: 0, rows: 1000, tag: 'g', shift });
    await until('drift.detected', () => events(SUBJECTS.driftDetected, name)[0]);
    await bus.publishEvent(
      SUBJECTS.modelRegistered,
      {
        tuning_id: `tun-${name}`,
        trial_id: `tun-${name}-0`,
        name,
        version: String(Number(version) + 1),
        alias: 'champion',
        run_id: 'run',
        model_uri: `models:/${name}/${Number(version) + 1}`,
        source_uri: 'models:/m-1',
        metric: null,
        previous_version: version,
        registered_at: new Date().toISOString(),
      },
      { key: `${name}:next` },
    );
    const ended = await until('drift.resolved', () => events(SUBJECTS.driftResolved, name)[0]);
    expect(ended.data).toMatchObject({ version, superseded_by: String(Number(version) + 1) });
    const before = windowsOf(name).length;
    // The old version's last requests, still drifted, logged after the move (as a predictor does until it swaps).
    await logTraffic(bus, world, { model: name, version, from: 1000, rows: 1000, tag: 'h', shift });
    const late = await until('2 more windows', () => (windowsOf(name).length >= before + 2 ? true : undefined));
    expect(late).toBe(true);
    expect(
      windowsOf(name)
        .slice(before)
        .map((w) => w.dataset_drift),
    ).toEqual([true, true]);
    expect(events(SUBJECTS.driftDetected, name)).toHaveLength(1);
  }, 120_000);

  it('when a version has no reference profile, then windows say so and live performance is still tracked', async () => {
    const name = `mon_${randomUUID().slice(0, 8)}`;
    const version = await registerWorldModel(mlflow, world, name, false);
    const ids = await logTraffic(bus, world, { model: name, version, from: 0, rows: 500, tag: 'e' });
    const [first] = await until('a window', () => (windowsOf(name).length > 0 ? windowsOf(name) : undefined));
    expect(first).toMatchObject({ reference_rows: null, dataset_drift: null, features: [] });
    const labels = ids.slice(0, 300).map((id, i) => ({ prediction_id: id, label: world.traffic.y[i] as 0 | 1 }));
    const reply = await requestReply(bus.connection, SUBJECTS.feedbackReceived, labels, { timeoutMs: 15_000 });
    expect(reply).toMatchObject({ status: 'accepted', accepted: 300 });
    const twice = [ids[400], ids[400]].map((id) => ({ prediction_id: id as string, label: 1 as const }));
    const repeated = await requestReply(bus.connection, SUBJECTS.feedbackReceived, twice, { timeoutMs: 15_000 });
    expect(repeated).toMatchObject({ status: 'accepted', accepted: 1, duplicates: 1 });
    const status = await requestReply(bus.connection, SUBJECTS.monitorStatus, { name }, { timeoutMs: 15_000 });
    expect(okReply(status).versions[0]?.drift_unavailable).toMatch(/no reference profile/);
    expect(okReply(status).versions[0]?.performance).toMatchObject({ labelled: 301, predictions: 500 });
    const metrics = await (await fetch(`http://127.0.0.1:${monitor.port}/metrics`)).text();
    expect(metrics).toContain(`monitor_reference_available{model_name="${name}",model_version="${version}"} 0`);
  }, 120_000);
});

describe('monitor: late labels', () => {
  it('when 30 % of labels are flipped, then performance.degraded names the live and training accuracy', async () => {
    const name = `mon_${randomUUID().slice(0, 8)}`;
    const version = await registerWorldModel(mlflow, world, name);
    const ids = await logTraffic(bus, world, { model: name, version, from: 5000, rows: 1000, tag: 'f' });
    const labels = ids.map((id, i) => {
      const truth = world.traffic.y[5000 + i] as number;
      return { prediction_id: id, label: (i % 10 < 3 ? 1 - truth : truth) as 0 | 1 };
    });
    const reply = await requestReply(bus.connection, SUBJECTS.feedbackReceived, labels, { timeoutMs: 15_000 });
    expect(reply).toMatchObject({ status: 'accepted', accepted: 1000, duplicates: 0, errors: [] });
    const degraded = await until('performance.degraded', () => events(SUBJECTS.performanceDegraded, name)[0]);
    expect(degraded.data).toMatchObject({ metric: 'accuracy', labelled: 1000, episode: 1 });
    expect(degraded.data.training - degraded.data.live).toBeGreaterThan(0.05);
    const again = await requestReply(bus.connection, SUBJECTS.feedbackReceived, labels.slice(0, 10), {
      timeoutMs: 15_000,
    });
    expect(again).toMatchObject({ status: 'accepted', accepted: 0, duplicates: 10 });
  }, 120_000);

  it('when a batch refuses thousands of labels, then the reply fits one message: it counts them all, lists the first 100, and says what it stored', async () => {
    const name = `mon_${randomUUID().slice(0, 8)}`;
    const version = await registerWorldModel(mlflow, world, name);
    const ids = await logTraffic(bus, world, { model: name, version, from: 7000, rows: 1000, tag: 'r' });
    const known = ids.map((id, i) => ({ prediction_id: id, label: world.traffic.y[7000 + i] as 0 | 1 }));
    const unknown = Array.from({ length: 9000 }, (_, i) => ({ prediction_id: `never${i}-0`, label: 1 as const }));
    const reply = await requestReply(bus.connection, SUBJECTS.feedbackReceived, [...known, ...unknown], {
      timeoutMs: 30_000,
    });
    expect(reply).toMatchObject({ status: 'partial', accepted: 1000, duplicates: 0, refused: 9000 });
    expect(reply.errors).toHaveLength(MAX_LISTED_FEEDBACK_ERRORS);
    expect(reply.errors[0]).toMatchObject({ path: '1000.prediction_id', message: expect.stringMatching(/never0-0/) });
    const status = await requestReply(bus.connection, SUBJECTS.monitorStatus, { name }, { timeoutMs: 15_000 });
    expect(okReply(status).versions[0]?.labels).toMatchObject({ joined: 1000 });
  }, 120_000);

  it('when a label overtakes its prediction (sent before the prediction is logged), then it waits for it and is joined', async () => {
    const name = `mon_${randomUUID().slice(0, 8)}`;
    const version = await registerWorldModel(mlflow, world, name);
    const id = `o${(9100).toString(36)}-0`; // the id logTraffic gives row 9100 with tag 'o'
    const label = { prediction_id: id, label: world.traffic.y[9100] as 0 | 1 };
    const reply = requestReply(bus.connection, SUBJECTS.feedbackReceived, label, { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [logged] = await logTraffic(bus, world, {
      model: name,
      version,
      from: 9100,
      rows: 1,
      perRequest: 1,
      tag: 'o',
    });
    expect(logged).toBe(id);
    expect(await reply).toMatchObject({ status: 'accepted', accepted: 1, errors: [] });
    const status = await requestReply(bus.connection, SUBJECTS.monitorStatus, { name }, { timeoutMs: 15_000 });
    expect(okReply(status).versions[0]?.labels.joined).toBe(1);
  }, 60_000);

  it('when feedback is bad, then each case is refused with the reason and nothing is counted', async () => {
    const name = `mon_${randomUUID().slice(0, 8)}`;
    const version = await registerWorldModel(mlflow, world, name);
    const [id] = await logTraffic(bus, world, { model: name, version, from: 9000, rows: 1, perRequest: 1, tag: 'g' });
    const ask = (body: string | object) =>
      requestReply(bus.connection, SUBJECTS.feedbackReceived, body as never, { timeoutMs: 15_000 });
    const cases: [string, string | object, RegExp][] = [
      ['unknown id', { prediction_id: 'nope-0', label: 1 }, /no prediction nope-0 was logged/],
      ['label 2', { prediction_id: id, label: 2 }, /2 is not a class of .* version .*: its classes are 0 and 1/],
      ['malformed JSON', '{"prediction_id": ', /not valid JSON/],
      ['another model', { prediction_id: id, label: 1, model: 'someone_else' }, /made by model .* not someone_else/],
      ['empty body', '', /body is empty/],
    ];
    for (const [what, body, message] of cases) {
      const reply = await ask(body);
      expect(reply, what).toMatchObject({ status: 'rejected', accepted: 0, duplicates: 0, conflicting: 0, refused: 1 });
      expect(reply.errors.map((e) => e.message).join(' '), what).toMatch(message);
    }
    // One malformed label refuses its whole batch: both labels are counted as refused.
    const batch = await ask([{ prediction_id: id, label: 1 }, { prediction_id: id }]);
    expect(batch).toMatchObject({ status: 'rejected', accepted: 0, refused: 2, errors: [{ path: '1.label' }] });
    await expect(ask('x'.repeat(10 * 1024 * 1024))).rejects.toThrow(/payload|MAX_PAYLOAD/i);
    const status = await requestReply(bus.connection, SUBJECTS.monitorStatus, { name }, { timeoutMs: 15_000 });
    expect(okReply(status).versions[0]?.labels.joined).toBe(0);
    expect(okReply(status).versions[0]?.performance.labelled).toBe(0);
  }, 120_000);
});
