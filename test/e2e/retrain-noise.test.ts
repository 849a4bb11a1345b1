import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type EventData, STREAMS, SUBJECTS } from '@mlops/contracts';
import type { MlflowClient } from '@mlops/mlflow';
import type { NatsServerHandle } from '@mlops/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type InProcessStack, serveFirstVersion, startInProcessStack, waitFor } from './support/in-process-stack.js';
import { type LoopEvents, recordLoopEvents } from './support/loop-events.js';
import { runCli, sendFeedback, serveSeedRows } from './support/seed-traffic.js';

const modelName = `e2e_noise_${randomUUID().slice(0, 8)}`;
/** The world moves as in loop.test.ts: 12 of the 20 features come +2.0 higher than at training time. */
const SHIFTED_FEATURES = 12;
const SHIFT = 2.0;
/** The shifted stream: 50 rows through POST /predict and their 50 labels through POST /feedback once a second, 5 min. */
const STREAM_MS = 300_000;
const PACE_MS = 1000;
const BATCH = 50;
/** Windows of 250 rows: one every 5 s of the stream, each closed by its rows (so each has a drift verdict). */
const WINDOW_ROWS = 250;
const DRIFT_WINDOWS = 3;
/**
 * The cooldown alone paces the retrains. 65 s rather than a round 60 s: the first retrain comes a few seconds into
 * the stream (live accuracy collapses on noise labels after the first 200, or drift holds for 3 windows after 15 s),
 * so the stream's last decision is about 284–297 s after it (296 s in practice); with 60 s that would sit within
 * seconds of the 5th multiple (300 s) and the count would hinge on scheduling jitter. With 65 s the stream ends
 * 24–37 s past the 4th multiple (260 s) and 28–41 s before the 5th (325 s): the policy allows 5, whatever the jitter.
 */
const COOLDOWN_S = 65;
/** M: a cooldown of the stream brings 65 × 50 = 3,250 new labels, so M = 100 never holds a retrain back. */
const MIN_LABELS = 100;
/**
 * With noise labels each retrain's challenger is only as good as the champion (both ≈ 0.5 accuracy on coin flips),
 * so each gate verdict is a null comparison: at the default 0.05 the bootstrap interval would exclude 0 in favour of
 * the challenger about 1 time in 40, and with 5 retrains per run about 1 run in 8 would see a promotion by chance.
 * At 0.001 that is about 1 in 2,000 per retrain: the test wants exactly zero promotions, without flakiness.
 */
const GATE_ALPHA = 0.001;
/** The monitor weighs a version's trigger at most once a second (RETRAIN_CHECK_MS), and re-weighs a throttled one at
 * the next 250 ms tick (TICK_MS): services/monitor/src/domain/monitor.ts and service.ts. */
const RETRAIN_CHECK_MS = 1000;
const TICK_MS = 250;
/**
 * How late after its cooldown a retrain may come. Once the cooldown is over, the next decision comes with the next
 * label batch (every PACE_MS = 1 s) or window (every 5 s), and the once-a-second throttle (plus the 250 ms tick that
 * re-weighs a throttled trigger) delays it by at most RETRAIN_CHECK_MS + TICK_MS = 1.25 s; then the monitor reads
 * the labelled rows' features back from PREDICTIONS (up to 15,000 rows) and writes the CSV before `requested_at`
 * (well under a second here). 3 s more absorbs the event loop pausing while the in-process trainer fits a tuning.
 */
const SLACK_MS = Math.max(PACE_MS, RETRAIN_CHECK_MS + TICK_MS) + 3000;

let nats: NatsServerHandle;
let client: NatsConnection;
let mlflow: MlflowClient;
let predictorUrl: string;
let stack: InProcessStack;
let dataDir: string;
let loop: LoopEvents;

/** mulberry32: a small seeded generator, so the noise labels are the same coin flips in every run. */
function coinFlips(seed: number): () => 0 | 1 {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 < 0.5 ? 0 : 1;
  };
}

/** Scores rows [from, from + count) of the seed data (modulo its 1000) through POST /predict, 50 per request. */
const serve = (from: number, count: number, shift = 0) =>
  serveSeedRows(predictorUrl, from, count, shift, SHIFTED_FEATURES);

/** Sends a noise label for each id through POST /feedback: a coin flip, whatever the row was. */
const labelWithNoise = (ids: string[], flip: () => 0 | 1) =>
  sendFeedback(
    predictorUrl,
    ids.map((id) => ({ prediction_id: id, label: flip() })),
  );
const cli = (args: string[]) => runCli(nats.url, args);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-noise-data-'));
  stack = await startInProcessStack({
    mlflowUri: inject('mlflowTrackingUri'),
    modelName,
    env: { TRAINER_DATA_DIR: dataDir },
    monitor: {
      MONITOR_WINDOW_ROWS: String(WINDOW_ROWS),
      MONITOR_WINDOW_SECONDS: '30',
      MONITOR_RETRAIN_DRIFT_WINDOWS: String(DRIFT_WINDOWS),
      MONITOR_RETRAIN_MIN_LABELS: String(MIN_LABELS),
      MONITOR_RETRAIN_COOLDOWN_SECONDS: String(COOLDOWN_S),
      MONITOR_RETRAIN_GATE_SIGNIFICANCE: 'bootstrap',
      MONITOR_RETRAIN_GATE_ALPHA: String(GATE_ALPHA),
    },
  });
  ({ nats, client, mlflow, predictorUrl } = stack);
  loop = recordLoopEvents(client, modelName);
  await serveFirstVersion(stack, modelName);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('a retrain that does not help: noise labels on a shifted stream', () => {
  it('when 5 minutes of shifted traffic come with coin-flip labels and a short cooldown, then every retrain is rejected, version 1 stays served and drifting, and the cooldown alone paces the retrains (no storm)', async () => {
    const before = await serve(0, 500);
    expect([...before.versions]).toEqual(['1']);
    await waitFor('2 windows without drift', () =>
      loop.windows.filter((w) => w.dataset_drift === false).length >= 2 ? true : undefined,
    );
    expect(loop.retrains).toEqual([]);

    // The shifted stream, on a fixed schedule (a late batch does not push the later ones back).
    const flip = coinFlips(20_240_614);
    const shiftStarted = Date.now();
    const servedBy = new Set<string>();
    const labelledAt: number[] = [];
    for (let i = 0; i < STREAM_MS / PACE_MS; i++) {
      await sleep(Math.max(0, shiftStarted + i * PACE_MS - Date.now()));
      const { ids, versions } = await serve(i * BATCH, BATCH, SHIFT);
      for (const v of versions) servedBy.add(v);
      await labelWithNoise(ids, flip);
      labelledAt.push(Date.now());
    }
    const streamEnded = Date.now();
    const shiftedWindows = () =>
      loop.windows.filter((w) => w.version === '1' && Date.parse(w.closed_at) >= shiftStarted);
    // Every shifted row is in a window closed by its rows: (300 × 50) / 250 = 60 windows.
    await waitFor('the last shifted window', () =>
      shiftedWindows().reduce((n, w) => n + w.rows, 0) >= (STREAM_MS / PACE_MS) * BATCH ? true : undefined,
    );
    const verdictOf = (r: EventData<'retrain.requested'>) =>
      loop.rejected.find((v) => v.retrain_id === r.retrain_id) ??
      loop.registered.find((v) => v.retrain_id === r.retrain_id || v.tuning_id === r.tuning_id);
    await waitFor(
      'the verdict of every retrain',
      () => (loop.retrains.every((r) => verdictOf(r) !== undefined) ? true : undefined),
      120_000,
    );
    // A trigger throttled at the last label batch is weighed at a tick up to RETRAIN_CHECK_MS + TICK_MS later: give
    // it that, and its retrain.requested the time to arrive, before counting.
    await sleep(RETRAIN_CHECK_MS + TICK_MS + 2000);

    const status = await cli(['monitor', '--name', modelName, '--version', '1']);
    // Last, as it opens a window of its own (closed by time 30 s later, after the test).
    const final = await serve(0, 1, SHIFT);
    const jsm = await jetstreamManager(client);
    const stored = (await jsm.streams.info(STREAMS.retrain.name, { subjects_filter: '>' })).state.subjects ?? {};
    // A skip is published at every decision it holds back; RETRAIN keeps one per version, reason and minute.
    const skipKeys = new Set(loop.skipped.map((s) => `${s.reason}:${Math.floor(Date.parse(s.skipped_at) / 60_000)}`));

    // The times the policy ran on: each retrain's request, and the last decision that could trigger one (the last
    // label batch the monitor answered, or the last window it closed, whichever came later).
    const lastWindow = shiftedWindows().at(-1);
    const lastDecision = Math.max(labelledAt.at(-1) ?? 0, Date.parse(lastWindow?.closed_at ?? '0'));
    const at = loop.retrains.map((r) => Date.parse(r.requested_at));
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    const cooldownMs = COOLDOWN_S * 1000;
    // The policy lets a retrain go at the first decision after the cooldown since the last one: the first retrain at
    // the first trigger, and then one per cooldown until the stream's last decision, so over the stream it allows
    // 1 + floor((last decision − first retrain) / cooldown). Each retrain comes up to SLACK_MS after its cooldown, and
    // that lateness adds up; COOLDOWN_S is chosen so the stream ends far (≥ 20 s) from a multiple of it, more than the
    // added lateness of 4 retrains, so the count is exact.
    const allowed = 1 + Math.floor((lastDecision - (at[0] ?? Number.NaN)) / cooldownMs);
    const rel = (t: number) => ((t - shiftStarted) / 1000).toFixed(1);
    console.info(
      `noise retrains: ${loop.retrains.length} (policy allows ${allowed}) over ${rel(streamEnded)} s of shifted stream (drift.detected at ${rel(Date.parse(loop.detected[0]?.detected_at ?? ''))} s, performance.degraded at ${rel(Date.parse(loop.degraded[0]?.at ?? ''))} s), last decision at ${rel(lastDecision)} s, cooldown ${COOLDOWN_S} s; ` +
        loop.retrains
          .map((r, i) => {
            const v = verdictOf(r);
            const verdict =
              v === undefined
                ? 'no verdict'
                : 'champion_version' in v
                  ? `rejected v${v.version}: ${v.metric.name} challenger ${v.metric.challenger} vs champion v${v.champion_version} ${v.metric.champion} (interval ${v.interval?.low}..${v.interval?.high})`
                  : `PROMOTED v${v.version}`;
            const gap = i === 0 ? '' : ` (+${((gaps[i - 1] ?? 0) / 1000).toFixed(1)} s)`;
            return `#${i + 1} ${r.trigger} at ${rel(at[i] ?? 0)} s${gap} on ${r.dataset.rows} rows → ${verdict}`;
          })
          .join('; ') +
        `; retrain.skipped stored in ${STREAMS.retrain.name}: ${stored[SUBJECTS.retrainSkipped]}, published: ${[...new Set(loop.skipped.map((s) => s.reason))].map((reason) => `${loop.skipped.filter((s) => s.reason === reason).length} ${reason}`).join(', ')}`,
    );

    // Not promoted: every retrain's verdict is model.rejected naming it; no version after 1 was registered.
    expect(loop.registered.map((r) => r.version)).toEqual(['1']);
    expect([...servedBy]).toEqual(['1']);
    expect([...final.versions]).toEqual(['1']);
    expect(loop.retrains.length).toBeGreaterThanOrEqual(2);
    expect(loop.retrains.map((r) => r.retrain_id)).toEqual(loop.retrains.map((_, i) => `${modelName}:1:${i + 1}`));
    expect(loop.retrains.map((r) => r.version)).toEqual(loop.retrains.map(() => '1'));
    expect(loop.retrains.map((r) => r.trigger)).toEqual(
      loop.retrains.map(() => expect.stringMatching(/^(drift|performance)$/)),
    );
    for (const r of loop.retrains) {
      expect(loop.rejected.filter((v) => v.retrain_id === r.retrain_id)).toEqual([
        expect.objectContaining({ tuning_id: r.tuning_id, champion_version: '1' }),
      ]);
    }
    expect(loop.rejected).toHaveLength(loop.retrains.length);
    // One new version per retrain, each kept out as challenger.
    expect(loop.rejected.map((v) => v.version)).toEqual(loop.retrains.map((_, i) => String(i + 2)));
    for (const v of loop.rejected) {
      const tags = (await mlflow.getModelVersion(modelName, v.version)).tags;
      expect(tags).toMatchObject({ 'mlops.gate.status': 'rejected', 'mlops.retrain_id': v.retrain_id });
    }

    // The alert stays: version 1's drift episode opened once and never ended; the monitor still says DRIFT.
    expect(loop.detected.filter((d) => d.version === '1')).toHaveLength(1);
    expect(loop.resolved.filter((r) => r.version === '1')).toEqual([]);
    expect(shiftedWindows().map((w) => w.dataset_drift)).toEqual(shiftedWindows().map(() => true));
    expect(status.code).toBe(0);
    expect(status.out).toMatch(new RegExp(`window ${lastWindow?.window}: 250 rows, closed by rows at .*: DRIFT`));
    expect(status.out).toMatch(new RegExp(`drifting since window ${loop.detected[0]?.window}\\)`));

    // No storm: the cooldown alone paces the retrains, and they are as many as the policy allows.
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(cooldownMs);
      expect(gap).toBeLessThanOrEqual(cooldownMs + SLACK_MS);
    }
    expect(loop.retrains).toHaveLength(allowed);
    // … and no retrain was due at the end: the last decision came inside the last retrain's cooldown.
    expect(lastDecision - (at.at(-1) ?? 0)).toBeLessThan(cooldownMs);
    // In between, triggers were weighed and skipped for the cooldown (or while the retrain was in flight); labels
    // never held one back.
    for (const [i, gapStart] of at.slice(0, -1).entries()) {
      const inGap = loop.skipped.filter((s) => {
        const t = Date.parse(s.skipped_at);
        return s.reason === 'cooldown' && t > gapStart && t < (at[i + 1] ?? 0);
      });
      expect(inGap.length).toBeGreaterThan(0);
    }
    expect(loop.skipped.filter((s) => s.reason !== 'cooldown' && s.reason !== 'in_flight')).toEqual([]);
    expect(stored).toEqual({
      [SUBJECTS.retrainRequested]: loop.retrains.length,
      [SUBJECTS.retrainSkipped]: skipKeys.size,
    });
  }, 420_000);
});
