import { randomUUID } from 'node:crypto';
import { type Bus, connectBus, requestReply, watchEvents } from '@mlops/bus';
import { type EventData, GATE_HOLDOUT_BUCKET, type GateSpec, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createTracker } from '../src/service.js';
import { completed, stepHoldout, type TestWeights, threshold, trial, tuningStarted } from './support/tuning-events.js';

const logger = createLogger({ service: 'gate-test', level: 'silent' });
let nats: NatsServerHandle;
let bus: Bus;
let mlflow: MlflowClient;
let tracker: ReturnType<typeof createTracker>;
const decisions = new Map<
  string,
  | { subject: 'model.registered'; data: EventData<'model.registered'> }
  | { subject: 'model.rejected'; data: EventData<'model.rejected'> }
>();

async function until<T>(get: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One tuning of one trial with these weights, judged under `gate`; resolves with the tracker's decision. */
async function tune(
  model: string,
  weights: TestWeights,
  options: {
    gate?: GateSpec;
    features?: string[];
    holdout?: EventData<'tuning.completed'>['holdout'];
    beside?: (tuningId: string) => Promise<Partial<EventData<'tuning.completed'>>>;
  } = {},
) {
  const tuningId = `g-${randomUUID().slice(0, 8)}`;
  const features = options.features ?? ['a', 'b'];
  await bus.publishEvent(SUBJECTS.tuningStarted, tuningStarted(model, tuningId, 1, features), { key: tuningId });
  await bus.publishEvent(SUBJECTS.runCompleted, trial(model, tuningId, 0, 0.9, weights, features), {
    key: `${tuningId}-0`,
  });
  const done = {
    ...completed(model, tuningId, 1, options.gate ?? {}, options.holdout ?? stepHoldout()),
    ...(await options.beside?.(tuningId)),
  };
  await bus.publishEvent(SUBJECTS.tuningCompleted, done, { key: tuningId });
  return { tuningId, done, decision: await until(() => decisions.get(tuningId)) };
}

async function aliasOf(model: string, alias: string): Promise<string | undefined> {
  return (await mlflow.getModelVersionByAlias(model, alias))?.version;
}

const modelName = () => `gate_${randomUUID().slice(0, 8)}`;

/** The champion history recorded on the registered model, oldest first. */
async function historyOf(model: string): Promise<{ kind: string; version: string; previous: string | null }[]> {
  const text = (await mlflow.getRegisteredModel(model))?.tags['mlops.champion_history'];
  return text === undefined ? [] : JSON.parse(text);
}

/** Publishes a tuning.completed again under a new message id and waits until the tracker has acked it. */
async function deliverAgain(done: EventData<'tuning.completed'>): Promise<void> {
  await bus.publishEvent(SUBJECTS.tuningCompleted, done, { key: `again-${done.tuning_id}` });
  const jsm = await jetstreamManager(bus.connection);
  await until(async () => {
    const info = await jsm.consumers.info('TUNING_EVENTS', 'tracker-tuning-events');
    return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
  });
}

beforeAll(async () => {
  nats = await startNatsServer();
  mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  bus = await connectBus({ servers: nats.url, name: 'gate-test', logger });
  tracker = createTracker(loadConfig({ NATS_URL: nats.url, MLFLOW_TRACKING_URI: inject('mlflowTrackingUri') }), {
    bus: await connectBus({ servers: nats.url, name: 'tracker', logger }),
    logger,
  });
  await tracker.start();
  watchEvents(bus.connection, SUBJECTS.modelRegistered, ({ data }) =>
    decisions.set(data.tuning_id, { subject: 'model.registered', data }),
  );
  watchEvents(bus.connection, SUBJECTS.modelRejected, ({ data }) =>
    decisions.set(data.tuning_id, { subject: 'model.rejected', data }),
  );
}, 60_000);

afterAll(async () => {
  await tracker?.stop();
  await bus?.close();
  await nats?.stop();
});

describe('the promotion gate', () => {
  it('when the challenger is worse on the same rows, then it is kept as challenger and the verdict is recorded where users look', async () => {
    const model = modelName();
    const first = await tune(model, threshold(0));
    expect(first.decision).toMatchObject({
      subject: 'model.registered',
      data: { version: '1', previous_version: null, reason: 'first champion' },
    });
    const worse = await tune(model, threshold(-0.02));
    expect(worse.decision.subject).toBe('model.rejected');
    const event = worse.decision.data as EventData<'model.rejected'>;
    expect(event).toMatchObject({
      version: '2',
      champion_version: '1',
      metric: { name: 'accuracy', challenger: 0.965, champion: 0.975 },
      reason: 'accuracy 0.965 vs champion v1 0.975: worse',
    });
    expect(event.difference).toBeCloseTo(-0.01, 12);
    expect(event.interval?.high).toBeLessThanOrEqual(0); // computed and recorded although significance is 'none'
    expect(event.p_value).toBeGreaterThan(0);
    expect([await aliasOf(model, 'champion'), await aliasOf(model, 'challenger')]).toEqual(['1', '2']);
    const version = await mlflow.getModelVersion(model, '2');
    expect(event.run_id).toEqual(expect.any(String));
    expect(event.run_id).toBe(version.runId);
    expect(version.tags).toMatchObject({
      'mlops.gate.status': 'rejected',
      'mlops.gate.champion_version': '1',
      'mlops.gate.champion_value': '0.975',
      'mlops.gate.challenger_value': '0.965',
    });
    expect(version.description).toMatch(/^Version 2 kept as challenger \(champion stays v1\): accuracy 0.965/);
    const experiment = await mlflow.getExperimentByName(model);
    const parent = (
      await mlflow.searchRuns({
        experimentIds: [experiment!.experimentId],
        filter: `tags.\`mlops.tuning_parent\` = '${worse.tuningId}'`,
      })
    ).runs[0]!;
    expect(parent.data.tags).toMatchObject({ 'mlops.gate.status': 'rejected', 'mlops.gate.champion_version': '1' });
  }, 60_000);

  it('when the event carries only the first rows and names its stored whole, then the gate judges on the whole', async () => {
    // Challenger threshold(0.5) is right on the 10 carried rows and wrong on the 20 after them: better on the cut,
    // worse on the whole (1/3 vs the champion's 2/3).
    const rows = Array.from({ length: 30 }, () => [0.25, 0]);
    const labels = rows.map((_, i) => (i < 10 ? 0 : 1) as 0 | 1);
    const whole = { feature_names: ['a', 'b'], rows, labels };
    const carried = { ...whole, rows: rows.slice(0, 10), labels: labels.slice(0, 10) };
    const store = await bus.blobs(GATE_HOLDOUT_BUCKET, { ttlMs: 60_000, maxBytes: 1024 * 1024 });
    const storedRef = (name: string) => ({ bucket: GATE_HOLDOUT_BUCKET, name, rows: 30 });
    const model = modelName();
    await tune(model, threshold(0));
    const judgedWhole = await tune(model, threshold(0.5), {
      holdout: carried,
      beside: async (tuningId) => {
        await store.put(tuningId, Buffer.from(JSON.stringify(whole)));
        return { test_rows: 30, stored_holdout: storedRef(tuningId) };
      },
    });
    expect(judgedWhole.decision).toMatchObject({
      subject: 'model.rejected',
      data: { reason: 'accuracy 0.3333 vs champion v1 0.6667: worse' },
    });
    const judgedCut = await tune(model, threshold(0.5), {
      holdout: carried,
      beside: async (tuningId) => ({ test_rows: 30, stored_holdout: storedRef(`${tuningId}-never-stored`) }),
    });
    expect(judgedCut.decision).toMatchObject({
      subject: 'model.registered',
      data: {
        reason:
          'accuracy 1 vs champion v1 0: better (judged on the first 10 of 30 test rows: the event carries at most 25,000 cells (a table 400 KB), and no whole holdout could be read)',
      },
    });
  }, 60_000);

  it('when the challenger is better, then champion moves to it, the event names the previous version and the history grows', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    const better = await tune(model, threshold(0.05));
    expect(better.decision).toMatchObject({
      subject: 'model.registered',
      data: {
        version: '2',
        alias: 'champion',
        previous_version: '1',
        reason: 'accuracy 1 vs champion v1 0.975: better',
      },
    });
    expect(await aliasOf(model, 'champion')).toBe('2');
    const history = JSON.parse((await mlflow.getRegisteredModel(model))!.tags['mlops.champion_history']!) as {
      version: string;
      previous: string | null;
      by: string;
    }[];
    expect(history.map((m) => [m.version, m.previous, m.by])).toEqual([
      ['1', null, 'gate'],
      ['2', '1', 'gate'],
    ]);
  }, 60_000);

  it('when the challenger is only equal, then it is not promoted', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    const equal = await tune(model, threshold(0.001));
    expect(equal.decision).toMatchObject({
      subject: 'model.rejected',
      data: { reason: 'accuracy 0.975 vs champion v1 0.975: not better (equal)', difference: 0 },
    });
    expect(await aliasOf(model, 'champion')).toBe('1');
  }, 60_000);

  it('when min_absolute_change is 0.01, then a +0.005 improvement is held back; without it the same model is promoted', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    const small = await tune(model, threshold(0.01), { gate: { min_absolute_change: 0.01 } });
    expect(small.decision.subject).toBe('model.rejected');
    expect(small.decision.data.reason).toMatch(/improvement 0.005 is below min_absolute_change 0.01$/);
    const plain = await tune(model, threshold(0.01));
    expect(plain.decision).toMatchObject({
      subject: 'model.registered',
      data: { version: '3', previous_version: '1' },
    });
  }, 60_000);

  it('when significance is bootstrap, then a +0.005 improvement whose interval contains 0 is rejected and a clear one passes', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    const unsure = await tune(model, threshold(0.01), { gate: { significance: 'bootstrap' } });
    expect(unsure.decision.subject).toBe('model.rejected');
    expect(unsure.decision.data.reason).toMatch(/not significant: the 95 % interval \[0, 0.01\d*\] contains 0$/);
    const clear = await tune(model, threshold(0.05), { gate: { significance: 'bootstrap' } });
    expect(clear.decision).toMatchObject({ subject: 'model.registered', data: { version: '3' } });
  }, 60_000);

  it('when the new model takes other features, then the champion is kept ("signature differs") unless the request says promote', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    const wide = stepHoldout();
    const features = ['a', 'b', 'c'];
    const holdout = { feature_names: features, rows: wide.rows.map((r) => [...r, 0]), labels: wide.labels };
    const rejected = await tune(model, threshold(0.05), { features, holdout });
    expect(rejected.decision.subject).toBe('model.rejected');
    expect(rejected.decision.data.reason).toBe(
      'signature differs: champion v1 takes 2 inputs ("a", "b"), the new rows have 3 inputs ("a", "b", "c")',
    );
    const promoted = await tune(model, threshold(0.05), {
      features,
      holdout,
      gate: { on_signature_change: 'promote' },
    });
    expect(promoted.decision).toMatchObject({ subject: 'model.registered', data: { version: '3' } });
    expect(promoted.decision.data.reason).toMatch(/^signature differs: .*; promoted as the request asked$/);
  }, 60_000);

  it('when the champion was retrained on live rows, then a better tuning that is no retrain is kept out unless its gate says judge; a better retrain is promoted', async () => {
    const model = modelName();
    const lineage = (n: number) => ({
      lineage: {
        retrain_id: `${model}:1:${n}`,
        trigger: 'drift' as const,
        detail: 'dataset drift in 3 consecutive windows',
        replaces_version: '1',
        dataset: {
          path: 'retrain/x.csv',
          sha256: 'a'.repeat(64),
          rows: 40,
          positives: 20,
          predictions: 40,
          window: { from: '2026-12-05T00:00:00.000Z', to: '2026-12-05T00:01:00.000Z' },
        },
      },
    });
    await tune(model, threshold(0)); // accuracy 0.975
    const retrained = await tune(model, threshold(0.01), { beside: async () => lineage(1) });
    expect(retrained.decision).toMatchObject({ subject: 'model.registered', data: { version: '2' } });
    // A retrain over a retrained champion is judged as any tuning.
    const again = await tune(model, threshold(0.02), { beside: async () => lineage(2) });
    expect(again.decision).toMatchObject({
      subject: 'model.registered',
      data: { version: '3', previous_version: '2', reason: 'accuracy 0.985 vs champion v2 0.98: better' },
    });
    const plain = await tune(model, threshold(0.05));
    expect(plain.decision.subject).toBe('model.rejected');
    expect(plain.decision.data.reason).toBe(
      `accuracy 1 vs champion v3 0.985: better; but champion v3 was retrained on live rows (${model}:1:2) and this tuning's test split is other data: kept out (mlops promote --version 4 --name ${model} --reason "…" promotes it; a tune request with "gate": {"on_retrained_champion": "judge"} lets the gate decide on its own rows)`,
    );
    expect([await aliasOf(model, 'champion'), await aliasOf(model, 'challenger')]).toEqual(['3', '4']);
    const judged = await tune(model, threshold(0.05), { gate: { on_retrained_champion: 'judge' } });
    expect(judged.decision).toMatchObject({
      subject: 'model.registered',
      data: { version: '5', previous_version: '3', reason: 'accuracy 1 vs champion v3 0.985: better' },
    });
  }, 60_000);

  it('when tuning.completed is delivered again after the decision, then there is still one version, one verdict and one move', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    const better = await tune(model, threshold(0.05));
    const jsm = await jetstreamManager(bus.connection);
    const announced = async () =>
      (await jsm.streams.info('MODELS', { subjects_filter: 'model.registered' })).state.subjects?.['model.registered'];
    const before = await announced();
    await deliverAgain(better.done);
    const versions = await mlflow.searchModelVersions({ filter: `name = '${model}'` });
    expect(versions.modelVersions.map((v) => v.version).sort()).toEqual(['1', '2']);
    const history = JSON.parse((await mlflow.getRegisteredModel(model))!.tags['mlops.champion_history']!) as unknown[];
    expect(history).toHaveLength(2);
    expect(await announced()).toBe(before); // the same model.registered id: JetStream kept the first one only
  }, 60_000);

  it('when a promotion is delivered again after a newer version took over, then the champion stays on the newer one', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    const second = await tune(model, threshold(0.03));
    await tune(model, threshold(0.05));
    expect(await aliasOf(model, 'champion')).toBe('3');
    await deliverAgain(second.done);
    expect(await aliasOf(model, 'champion')).toBe('3');
    expect((await historyOf(model)).map((m) => m.version)).toEqual(['1', '2', '3']);
  }, 60_000);

  it('when a promotion is delivered again after it was rolled back, then the rollback stands', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    const second = await tune(model, threshold(0.05));
    const back = await requestReply(bus.connection, SUBJECTS.registryRollback, { name: model, by: 'ops' } as never, {
      timeoutMs: 10_000,
    });
    expect(back).toMatchObject({ status: 'ok', version: '1' });
    await deliverAgain(second.done);
    expect(await aliasOf(model, 'champion')).toBe('1');
    expect((await historyOf(model)).map((m) => `${m.kind}:${m.version}`)).toEqual(['gate:1', 'gate:2', 'rollback:1']);
  }, 60_000);

  it('when a rejection is delivered again after a newer version was kept out, then challenger stays on the newer one', async () => {
    const model = modelName();
    await tune(model, threshold(0.05));
    const second = await tune(model, threshold(0));
    await tune(model, threshold(0.03));
    expect(await aliasOf(model, 'challenger')).toBe('3');
    await deliverAgain(second.done);
    expect(await aliasOf(model, 'challenger')).toBe('3');
    expect(await aliasOf(model, 'champion')).toBe('1');
  }, 60_000);
});

describe('manual control (registry.models, registry.promote, registry.rollback)', () => {
  const ask = <S extends 'registry.models' | 'registry.promote' | 'registry.rollback'>(subject: S, body: unknown) =>
    requestReply(bus.connection, subject, body as never, { timeoutMs: 10_000 });

  it('when a rejected version is promoted by hand and then rolled back, then champion follows, who and why are recorded, and each move is announced', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    await tune(model, threshold(-0.02)); // v2: worse, kept as challenger
    const announced: EventData<'model.registered'>[] = [];
    const sub = watchEvents(bus.connection, SUBJECTS.modelRegistered, ({ data }) => {
      if (data.name === model) announced.push(data);
    });
    const promoted = await ask(SUBJECTS.registryPromote, {
      name: model,
      version: 2,
      reason: 'wanted on staging',
      by: 'ana',
    });
    expect(promoted).toEqual({ status: 'ok', name: model, version: '2', previous_version: '1' });
    expect(await aliasOf(model, 'champion')).toBe('2');
    expect(await aliasOf(model, 'challenger')).toBeUndefined();
    const back = await ask(SUBJECTS.registryRollback, { name: model, reason: 'too many complaints', by: 'ana' });
    expect(back).toEqual({ status: 'ok', name: model, version: '1', previous_version: '2' });
    expect(await aliasOf(model, 'champion')).toBe('1');
    const again = await ask(SUBJECTS.registryRollback, { name: model });
    expect(again).toMatchObject({
      status: 'rejected',
      errors: [{ message: 'no champion before v1 in the promotion history' }],
    });
    await until(() => (announced.length === 2 ? true : undefined));
    expect(announced.map((e) => [e.version, e.previous_version, e.reason])).toEqual([
      ['2', '1', 'promote by ana: wanted on staging'],
      ['1', '2', 'rollback by ana: too many complaints'],
    ]);
    const history = JSON.parse((await mlflow.getRegisteredModel(model))!.tags['mlops.champion_history']!) as {
      kind: string;
      version: string;
      by: string;
    }[];
    expect(history.map((m) => `${m.kind}:${m.version}:${m.by}`)).toEqual([
      'gate:1:gate',
      'promote:2:ana',
      'rollback:1:ana',
    ]);
    sub.unsubscribe();
  }, 60_000);

  it('when a rollback is sent again under its request id, then it is answered as before and the champion stays', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    await tune(model, threshold(0.03)); // v2: better, champion
    await tune(model, threshold(0.05)); // v3: better again
    const request = { name: model, reason: 'drift', by: 'ana', request_id: 'rb-1' };
    const first = await ask(SUBJECTS.registryRollback, request);
    const again = await ask(SUBJECTS.registryRollback, request);
    expect(first).toEqual({ status: 'ok', name: model, version: '2', previous_version: '3' });
    expect(again).toEqual({ ...first, repeat_of: { made_at: expect.any(String), champion: '2' } });
    expect(await aliasOf(model, 'champion')).toBe('2');
    expect((await historyOf(model)).map((m) => `${m.kind}:${m.version}`)).toEqual([
      'gate:1',
      'gate:2',
      'gate:3',
      'rollback:2',
    ]);
    const reused = await ask(SUBJECTS.registryPromote, { name: model, version: '1', reason: 'x', request_id: 'rb-1' });
    expect(reused).toMatchObject({ status: 'rejected', errors: [{ path: 'request_id' }] });
    expect(await aliasOf(model, 'champion')).toBe('2');
  }, 60_000);

  it('when a request id finishes a rollback another left cut short, then sent again it is found and walks back no further', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    await tune(model, threshold(0.03));
    await tune(model, threshold(0.05)); // champion v3
    // A plain rollback (no id) that wrote its history entry and died before moving the alias.
    const cut = {
      kind: 'rollback',
      version: '2',
      previous: '3',
      reason: 'x',
      by: 'nats',
      at: new Date().toISOString(),
    };
    await mlflow.setRegisteredModelTag(
      model,
      'mlops.champion_history',
      JSON.stringify([...(await historyOf(model)), cut]),
    );
    const request = { name: model, reason: 'drift', by: 'ana', request_id: 'rb-2' };
    expect(await ask(SUBJECTS.registryRollback, request)).toMatchObject({ version: '2', previous_version: '3' });
    const again = await ask(SUBJECTS.registryRollback, request);
    expect(again).toMatchObject({ version: '2', previous_version: '3', repeat_of: { champion: '2' } });
    expect(await aliasOf(model, 'champion')).toBe('2');
  }, 60_000);

  it('when the versions are listed, then each shows its metric, gate verdict, aliases and tuning, newest first', async () => {
    const model = modelName();
    const first = await tune(model, threshold(0));
    const second = await tune(model, threshold(-0.02));
    const reply = await ask(SUBJECTS.registryModels, { name: model });
    expect(reply).toMatchObject({ status: 'ok', name: model, champion: '1' });
    const versions = reply.status === 'ok' ? reply.versions : [];
    expect(versions.map((v) => [v.version, v.aliases, v.gate_status, v.tuning_id])).toEqual([
      ['2', ['challenger'], 'rejected', second.tuningId],
      ['1', ['champion'], 'promoted', first.tuningId],
    ]);
    expect(versions[0]).toMatchObject({
      metric: { name: 'accuracy', value: 0.9 },
      gate_reason: expect.stringMatching(/worse$/),
    });
  }, 60_000);

  it('when a request is malformed or names what does not exist, then it is refused with the reason and nothing moves', async () => {
    const model = modelName();
    await tune(model, threshold(0));
    const refusals = await Promise.all([
      ask(SUBJECTS.registryPromote, { name: model, version: '9', reason: 'x' }),
      ask(SUBJECTS.registryPromote, { name: `${model}_other`, version: '1', reason: 'x' }),
      ask(SUBJECTS.registryPromote, { name: model, version: 'latest', reason: 'x' }),
      ask(SUBJECTS.registryPromote, { name: model, version: '1' }),
      ask(SUBJECTS.registryPromote, { name: model, version: '1', reason: 'x', force: true }),
      ask(SUBJECTS.registryPromote, '{not json'),
      ask(SUBJECTS.registryRollback, { name: `${model}_other` }),
      ask(SUBJECTS.registryModels, { name: `${model}_other` }),
      ask(SUBJECTS.registryPromote, { name: model, version: '1', reason: 'again' }),
    ]);
    const messages = refusals.map((r) =>
      r.status === 'rejected' ? r.errors.map((e) => `${e.path}: ${e.message}`) : r,
    );
    expect(messages).toEqual([
      [`version: ${model} has no version 9: see mlops models`],
      [`version: ${model}_other has no version 1: see mlops models`],
      ['version: a version number such as "3"'],
      [expect.stringMatching(/^reason: /)],
      [expect.stringMatching(/^\(request\): Unrecognized key: "force"/)],
      [expect.stringMatching(/^\(body\): not valid JSON/)],
      [`name: ${model}_other has no champion to roll back`],
      [`name: no registered model named "${model}_other"`],
      [`version: version 1 is already the champion of ${model}`],
    ]);
    expect(await aliasOf(model, 'champion')).toBe('1');
    const history = JSON.parse((await mlflow.getRegisteredModel(model))!.tags['mlops.champion_history']!) as unknown[];
    expect(history).toHaveLength(1);
  }, 60_000);
});

describe('the gate after a crash (each intermediate state a killed tracker can leave, then the redelivery)', () => {
  type Stage = 'registered' | 'verdict recorded' | 'history written' | 'alias moved';

  /** Registers a tuning's best as v2 over champion v1 and leaves MLflow as a crash at `stage` would. */
  async function crashAt(stage: Stage, model = modelName()) {
    await tune(model, threshold(0));
    const tuningId = `c-${randomUUID().slice(0, 8)}`;
    await bus.publishEvent(SUBJECTS.tuningStarted, tuningStarted(model, tuningId), { key: tuningId });
    await bus.publishEvent(SUBJECTS.runCompleted, trial(model, tuningId, 0, 0.9, threshold(0.03)), {
      key: `${tuningId}-0`,
    });
    const experiment = await mlflow.getExperimentByName(model);
    const child = await until(async () => {
      const runs = await mlflow.searchRuns({
        experimentIds: [experiment!.experimentId],
        filter: `tags.\`mlops.trial_id\` = '${tuningId}-0' and tags.\`mlops.recorded\` = 'completed'`,
      });
      return runs.runs[0];
    });
    const version = await mlflow.createModelVersion({
      name: model,
      idempotencyTag: { key: 'mlops.tuning_id', value: tuningId },
      source: `models:/${child.data.tags['mlops.model_id']}`,
      runId: child.info.runId,
      tags: { 'mlops.tuning_id': tuningId, 'mlops.trial_id': `${tuningId}-0` },
    });
    const verdict = {
      status: 'promoted',
      reason: 'accuracy 0.99 vs champion v1 0.975: better',
      metric: 'accuracy',
      championVersion: '1',
      championValue: 0.975,
      challengerValue: 0.99,
      difference: 0.015,
      interval: null,
      pValue: null,
      rules: {},
    };
    if (stage !== 'registered') {
      await mlflow.setModelVersionTag(model, version.version, 'mlops.gate.verdict', JSON.stringify(verdict));
    }
    if (stage === 'history written' || stage === 'alias moved') {
      const move = { kind: 'gate', version: '2', previous: '1', reason: verdict.reason, by: 'gate', at: 'then' };
      await mlflow.setRegisteredModelTag(
        model,
        'mlops.champion_history',
        JSON.stringify([...(await historyOf(model)), move]),
      );
    }
    if (stage === 'alias moved') await mlflow.setRegisteredModelAlias(model, 'champion', version.version);
    return { model, tuningId };
  }

  /** Delivers the crashed tuning's tuning.completed (the redelivery) and resolves with the tracker's decision. */
  async function redeliver(model: string, tuningId: string) {
    await bus.publishEvent(SUBJECTS.tuningCompleted, completed(model, tuningId, 1), { key: tuningId });
    return await until(() => decisions.get(tuningId));
  }

  for (const stage of ['registered', 'verdict recorded', 'history written', 'alias moved'] as const) {
    it(`when the tracker died with the version ${stage}, then the redelivery ends with one version, one verdict, one move and the event`, async () => {
      const { model, tuningId } = await crashAt(stage);
      const decision = await redeliver(model, tuningId);
      expect(decision).toMatchObject({ subject: 'model.registered', data: { version: '2', previous_version: '1' } });
      const versions = await mlflow.searchModelVersions({ filter: `name = '${model}'` });
      expect(versions.modelVersions.map((v) => v.version).sort()).toEqual(['1', '2']);
      expect(await aliasOf(model, 'champion')).toBe('2');
      const version = await mlflow.getModelVersion(model, '2');
      expect(version.tags['mlops.gate.status']).toBe('promoted');
      expect((await historyOf(model)).map((m) => m.version)).toEqual(['1', '2']);
    }, 60_000);
  }

  it('when the verdict was recorded but a better version became champion before the redelivery, then it is judged again against that one', async () => {
    const model = modelName();
    const { tuningId } = await crashAt('verdict recorded', model);
    const better = await tune(model, threshold(0.05));
    expect(better.decision).toMatchObject({
      subject: 'model.registered',
      data: { version: '3', previous_version: '1' },
    });
    const decision = await redeliver(model, tuningId);
    expect(decision).toMatchObject({ subject: 'model.rejected', data: { version: '2', champion_version: '3' } });
    expect(await aliasOf(model, 'champion')).toBe('3');
    expect(await aliasOf(model, 'challenger')).toBe('2');
    expect((await mlflow.getModelVersion(model, '2')).tags['mlops.gate.status']).toBe('rejected');
    expect((await historyOf(model)).map((m) => m.version)).toEqual(['1', '3']);
  }, 60_000);
});
