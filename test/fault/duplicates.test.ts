import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { until } from '@mlops/testkit';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { expectCleanOutcome, experimentRuns } from './support/outcome.js';
import { type Accepted, FaultStack } from './support/stack.js';

interface Captured {
  readonly subject: string;
  readonly body: string;
}

let source: FaultStack;
let stack: FaultStack;
let tuning: Accepted;
const captured: Captured[] = [];

/**
 * A trainer alone on its own nats-server: the test records its events (each once: two trial replicas may both see a
 * tuning complete and publish its tuning.completed, which JetStream de-duplicates by id), to replay them duplicated
 * and shuffled.
 */
async function captureTuning(): Promise<Accepted> {
  let done = false;
  const ids = new Set<string>();
  source.client.subscribe('>', {
    callback: (_err, msg) => {
      if (!/^(tuning\.(started|completed)|run\.)/.test(msg.subject)) return;
      const id = msg.headers?.get('Nats-Msg-Id') ?? msg.string();
      if (ids.has(id)) return;
      ids.add(id);
      captured.push({ subject: msg.subject, body: msg.string() });
      if (msg.subject === SUBJECTS.tuningCompleted) done = true;
    },
  });
  const accepted = await source.tune({ experiment_name: stack.modelName, registered_model_name: stack.modelName });
  await until('the trainer to finish', () => (done ? true : undefined), 60_000, 20);
  return accepted;
}

async function replay(events: readonly Captured[]): Promise<void> {
  for (const event of events) await stack.publishRaw(event.subject, event.body);
}

const ofSubject = (subject: string) => captured.filter((e) => e.subject === subject);

beforeAll(async () => {
  const mlflowUri = inject('mlflowTrackingUri');
  stack = await FaultStack.start({ mlflowUri, services: ['tracker', 'predictor'] });
  source = await FaultStack.start({ mlflowUri, services: ['trainer'] });
  tuning = await captureTuning();
}, 120_000);

afterAll(async () => {
  await source?.stop();
  await stack?.stop();
});

describe('fault: events delivered twice and out of order', () => {
  it('when every event of a tuning arrives twice in reverse order, then one child run per trial and one model version', async () => {
    onTestFailed(() => console.error(stack.logs()));
    expect(ofSubject(SUBJECTS.runCompleted)).toHaveLength(tuning.trialCount);
    const reversed = [...captured].reverse();
    // tuning.completed first, then each trial's run.completed before its run.started, tuning.started last; twice.
    await replay(reversed.flatMap((event) => [event, event]));
    const champion = await expectCleanOutcome(stack, tuning);
    const runs = await experimentRuns(stack);
    const children = runs.filter((r) => r.data.tags['mlflow.parentRunId'] !== undefined);
    expect(
      children.every((r) => r.inputs.datasetInputs.length === 1),
      'every child has its data set',
    ).toBe(true);
    expect(champion.version).toBe('1');
  }, 180_000);

  it('when run.completed and tuning.completed are delivered again after registration, then nothing changes', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const before = await stack.storedPerSubject(STREAMS.models.name);
    await replay([...ofSubject(SUBJECTS.runCompleted), ...ofSubject(SUBJECTS.tuningCompleted)]);
    await replay(ofSubject(SUBJECTS.tuningCompleted));
    const stored = await stack.storedPerSubject(STREAMS.tuningEvents.name);
    expect(stored[SUBJECTS.tuningCompleted]).toBe(4);
    await until('the tracker to catch up', async () => {
      const info = await stack.consumerInfo(STREAMS.tuningEvents.name, 'tracker-tuning-events');
      return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    });
    await expectCleanOutcome(stack, tuning);
    expect(await stack.storedPerSubject(STREAMS.models.name)).toEqual(before);
    const parent = (await experimentRuns(stack)).find((r) => r.data.tags['mlops.tuning_parent'] !== undefined)!;
    const best = await stack.mlflow.getMetricHistory(parent.info.runId, 'best_accuracy');
    expect(best, 'best_accuracy logged once on the parent').toHaveLength(1);
  }, 180_000);
});
