import { watchEvents } from '@mlops/bus';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { until } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { NatsCluster } from './support/nats-cluster.js';
import { expectCleanOutcome, expectEventsStoredOnce } from './support/outcome.js';
import { FaultStack } from './support/stack.js';

let cluster: NatsCluster;
let stack: FaultStack;

beforeAll(async () => {
  cluster = await NatsCluster.start(3);
  stack = await FaultStack.start({
    mlflowUri: inject('mlflowTrackingUri'),
    nats: { urls: cluster.urls, streamReplicas: 3 },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await cluster?.stop();
});

describe('fault: a 3-node NATS cluster loses the leader of the tuning events mid-tuning', () => {
  it('when the TUNING_EVENTS leader is SIGKILLed, then the tuning completes on the other two nodes, each trial logged once', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const jsm = await jetstreamManager(stack.client);
    for (const stream of [STREAMS.tuneRequests, STREAMS.trials, STREAMS.tuningEvents, STREAMS.models]) {
      expect((await jsm.streams.info(stream.name)).config.num_replicas, stream.name).toBe(3);
    }
    const completed = new Set<string>();
    watchEvents(stack.client, SUBJECTS.runCompleted, ({ data }) => completed.add(data.trial_id));
    const tuning = await stack.tune({ dataset: { kind: 'synthetic', n_samples: 30_000 } });
    await until('3 trials completed', () => (completed.size >= 3 ? true : undefined), 60_000, 10);
    const leader = await cluster.leaderOf(STREAMS.tuningEvents.name);
    await cluster.kill(leader);
    const started = Date.now();
    const completedAtKill = completed.size;
    expect(completedAtKill).toBeLessThan(tuning.trialCount);

    const champion = await expectCleanOutcome(stack, tuning);
    const successor = await cluster.leaderOf(STREAMS.tuningEvents.name);
    expect(successor).not.toBe(leader);
    await expectEventsStoredOnce(stack, tuning);
    console.info(
      `leader ${leader} of TUNING_EVENTS SIGKILLed after ${completedAtKill} trials; ${successor} took over; champion v${champion.version} ${Date.now() - started} ms later`,
    );
  }, 300_000);
});
