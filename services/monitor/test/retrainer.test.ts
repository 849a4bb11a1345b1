import { type EventData, type TuneReply, type TuneRequestInput, TuneRequestSchema } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { describe, expect, it, vi } from 'vitest';
import type { LabelledWindow } from '../src/domain/label-join.js';
import type {
  HeldRetrain,
  LoggedRequestFeatures,
  MonitorAnnouncer,
  MonitorMetrics,
  RetrainLeases,
  RetrainLeaseValue,
} from '../src/domain/ports.js';
import type { RetrainRules } from '../src/domain/retrain-policy.js';
import { type RetrainCase, Retrainer } from '../src/domain/retrainer.js';

/** The random search the replaced version was tuned with: a retrain draws the same way. */
const SEARCH = {
  type: 'random',
  n_trials: 4,
  random_state: 3,
  distributions: { C: { type: 'loguniform', low: 0.1, high: 10 } },
} as const;

const RULES: RetrainRules = {
  enabled: true,
  driftWindows: 3,
  minLabels: 4,
  cooldownMs: 60_000,
  leaseMs: 60_000,
  maxRows: 1000,
};

/** In-memory stand-ins for the retrainer's ports (its adapters have their own tests on NATS and files). */
function harness(
  reply: TuneReply = { status: 'accepted', tuning_id: 'x', trial_count: 15 },
  tuningFails = false,
  unanswered = 0,
  data: 'recent' | 'recent+original' = 'recent',
  logged: LoggedRequestFeatures = { features: Float64Array.from([1, 2, 3, 4]), columns: 2, rawColumns: false },
) {
  let silent = unanswered;
  const leases = new Map<string, HeldRetrain>();
  let revision = 0;
  const port: RetrainLeases = {
    async acquire(model, value) {
      if (leases.has(model)) return undefined;
      const held = { model, value, revision: ++revision };
      leases.set(model, held);
      return held;
    },
    holder: async (model) => leases.get(model),
    async update(held, value: RetrainLeaseValue) {
      if (leases.get(held.model)?.revision !== held.revision) return undefined;
      const next = { ...held, value, revision: ++revision };
      leases.set(held.model, next);
      return next;
    },
    async release(held) {
      if (leases.get(held.model)?.revision === held.revision) leases.delete(held.model);
    },
    all: async () => [...leases.values()],
  };
  const written = new Map<string, string>();
  const requests: TuneRequestInput[] = [];
  const requested: EventData<'retrain.requested'>[] = [];
  const skipped: EventData<'retrain.skipped'>[] = [];
  const failed: EventData<'retrain.failed'>[] = [];
  const decisions: string[] = [];
  const announce = {
    retrainRequested: async (d: EventData<'retrain.requested'>) => void requested.push(d),
    retrainSkipped: async (d: EventData<'retrain.skipped'>) => void skipped.push(d),
    retrainFailed: async (d: EventData<'retrain.failed'>) => void failed.push(d),
  } as unknown as MonitorAnnouncer;
  const metrics = {
    retrainDecision: (_m: string, trigger: string, outcome: string) => decisions.push(`${trigger}:${outcome}`),
    retrainInFlight: () => undefined,
  } as unknown as MonitorMetrics;
  let now = Date.UTC(2026, 11, 2, 7);
  const retrainer = new Retrainer(
    RULES,
    { selectionMetric: 'accuracy', gate: { significance: 'bootstrap', alpha: 0.05 }, data },
    {
      leases: port,
      features: {
        read: async (_m, _v, _since, wanted) =>
          new Map<string, LoggedRequestFeatures>([...wanted].map((id) => [id, logged])),
      },
      datasets: { write: async (path, text) => void written.set(path, text) },
      tuning: {
        tuningOf: async () => {
          if (tuningFails) throw new Error('registry down');
          return {
            grid: { C: [1, 10], solver: ['lbfgs'], scale: [true, false] } as never,
            search: SEARCH,
            selectionMetric: 'f1',
            dataset: { kind: 'synthetic', n_samples: 1000, random_state: 42 } as never,
          };
        },
      },
      tuner: {
        request: async (body) => {
          requests.push(body);
          if (silent-- > 0) throw new Error("no responders: 'tune.requested'");
          return reply;
        },
      },
      announce,
      metrics,
      logger: createLogger({ service: 'retrainer-test', level: 'silent' }),
      owner: 'monitor-test',
      now: () => now,
    },
  );
  return {
    retrainer,
    announce,
    leases,
    written,
    requests,
    requested,
    skipped,
    failed,
    decisions,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Three requests of two rows, all labelled (classes alternate). */
function window(): LabelledWindow {
  const requests = new Map(
    ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => [
      id,
      { labels: Int8Array.from([i % 2, (i + 1) % 2]), predictedAtMs: Date.UTC(2026, 11, 2, 6, i) },
    ]),
  );
  return {
    requests,
    predictions: 12,
    labelled: 12,
    newLabelled: 12,
    classCounts: [6, 6],
    firstMs: Date.UTC(2026, 11, 2, 6, 0),
    lastMs: Date.UTC(2026, 11, 2, 6, 5),
  };
}

/** The gate's rejection of version `version` against champion 2. */
const rejectedAs = (version: string) => ({
  verdict: 'rejected' as const,
  version,
  run_id: null,
  champion_version: '2',
  reason: 'not better',
  at: '2026-12-02T07:00:00.000Z',
});

const driftCase = (fields: Partial<RetrainCase> = {}): RetrainCase => ({
  model: 'm',
  version: '2',
  cause: { trigger: 'drift', detail: 'dataset drift in 3 consecutive windows (4–6)', sinceMs: 0 },
  window,
  inputs: { featureNames: ['x0', 'x1'], classes: [0, 1], table: null },
  windowIndex: 6,
  labels: 12,
  ...fields,
});

describe('Retrainer', () => {
  it('when the policy says go, then the data set is written, the retrain announced, and a tune request pinned to its digest sent', async () => {
    const h = harness();
    const reply = await h.retrainer.consider(driftCase());
    expect(reply.status).toBe('requested');
    const [event] = h.requested;
    if (event === undefined) throw new Error('retrain.requested not announced');
    expect(event).toMatchObject({ retrain_id: 'm:2:1', model: 'm', version: '2', trigger: 'drift' });
    expect(event.tuning_id).toBe(`retrain-m-v2-1-${event.dataset.sha256.slice(0, 8)}`);
    expect(h.written.get(event.dataset.path)?.split('\n')).toEqual([
      'x0,x1,y',
      ...['a', 'b', 'c', 'd', 'e', 'f'].flatMap((_, i) => [`1,2,${i % 2}`, `3,4,${(i + 1) % 2}`]),
      '',
    ]);
    expect(h.requests).toEqual([
      {
        tuning_id: event.tuning_id,
        dataset: {
          kind: 'csv',
          path: event.dataset.path,
          target: 'y',
          features: 'matrix',
          digest: event.dataset.sha256,
        },
        split: { test_size: 0.2, random_state: 42, stratify: true },
        grid: { C: [1, 10], solver: ['lbfgs'] },
        search: SEARCH,
        selection_metric: 'f1',
        experiment_name: 'm',
        registered_model_name: 'm',
        gate: { significance: 'bootstrap', alpha: 0.05 },
        lineage: {
          retrain_id: 'm:2:1',
          trigger: 'drift',
          detail: 'dataset drift in 3 consecutive windows (4–6)',
          replaces_version: '2',
          dataset: event.dataset,
        },
      },
    ]);
    expect(TuneRequestSchema.safeParse(h.requests[0]).success).toBe(true);
    expect(h.leases.get('m')?.value).toMatchObject({ state: 'sent', retrain: event, request: h.requests[0] });
    expect(h.decisions).toEqual(['drift:requested']);
  });

  it('when the tuning a retrain waits for fails with no verdict to come, then the retrain ends as failed; a known verdict or another tuning is left alone', async () => {
    const h = harness();
    await h.retrainer.consider(driftCase());
    const tuningId = h.requested[0]?.tuning_id ?? '';
    const at = '2026-12-02T07:30:00.000Z';
    await h.retrainer.onTuningFailed({ tuningId: 'someone-else', reason: 'x', at });
    expect(h.leases.has('m')).toBe(true);
    await h.retrainer.onTuningFailed({ tuningId, reason: 'no trial succeeded', at });
    expect(h.leases.has('m')).toBe(false);
    expect(h.retrainer.historyOf('m', 1)[0]?.outcome).toEqual({
      verdict: 'failed',
      version: null,
      run_id: null,
      champion_version: null,
      reason: 'no trial succeeded',
      at,
    });
    const { retrain_id, model, version } = h.requested[0]!;
    expect(h.failed).toEqual([
      { retrain_id, model, version, tuning_id: tuningId, reason: 'no trial succeeded', failed_at: at },
    ]);
    const restarted = harness();
    restarted.retrainer.remember(h.requested[0] as EventData<'retrain.requested'>);
    restarted.retrainer.rememberOutcome(tuningId, rejectedAs('3'));
    restarted.retrainer.rememberFailure({ tuningId, reason: 'late', at });
    restarted.retrainer.rememberFailure({ tuningId: 'unknown', reason: 'late', at });
    expect(restarted.retrainer.historyOf('m', 5).map((r) => r.outcome?.verdict)).toEqual(['rejected']);
  });

  it("when a retrain older than the tunings' 30-day streams has no verdict on record, then history says it is over", async () => {
    const h = harness();
    await h.retrainer.consider(driftCase());
    const retrain = h.requested[0]!;
    expect(h.retrainer.historyOf('m', 1)[0]?.outcome).toBeNull();
    h.advance(30 * 24 * 3600 * 1000 + 1);
    expect(h.retrainer.historyOf('m', 1)[0]?.outcome).toEqual({
      verdict: 'failed',
      version: null,
      run_id: null,
      champion_version: null,
      reason: expect.stringMatching(/^no verdict on record: .*30-day retention/),
      at: retrain.requested_at,
    });
  });

  it('when the announcement fails after the lease was marked sent (the monitor stopping), then the lease stays sent for the next start', async () => {
    const h = harness();
    h.announce.retrainRequested = async () => {
      throw new Error('the monitor is stopping');
    };
    await expect(h.retrainer.consider(driftCase())).rejects.toThrow('the monitor is stopping');
    expect(h.leases.get('m')?.value).toMatchObject({ state: 'sent', retrain: { retrain_id: 'm:2:1' } });
    expect(h.requests).toEqual([]);
    expect(h.skipped).toEqual([]); // not recorded as failed: the next start resumes it
  });

  it('when a retrain is in flight, then the next trigger is skipped until its tuning ends, then the cooldown holds it', async () => {
    const h = harness();
    await h.retrainer.consider(driftCase());
    expect(await h.retrainer.consider(driftCase())).toMatchObject({ status: 'skipped', reason: 'in_flight' });
    expect(await h.retrainer.consider(driftCase())).toMatchObject({ status: 'skipped', reason: 'in_flight' });
    expect(h.decisions).toEqual(['drift:requested', 'drift:in_flight', 'drift:in_flight']);
    await h.retrainer.onTuningOutcome('m', 'someone-else', rejectedAs('4'));
    expect(h.leases.has('m')).toBe(true);
    await h.retrainer.onTuningOutcome('m', h.requested[0]?.tuning_id ?? '', rejectedAs('3'));
    expect(h.leases.has('m')).toBe(false);
    h.advance(30_000);
    expect(await h.retrainer.consider(driftCase())).toMatchObject({ status: 'skipped', reason: 'cooldown' });
    h.advance(30_000);
    const later = driftCase({ window: () => ({ ...window(), newLabelled: 4 }) });
    expect(await h.retrainer.consider(later)).toMatchObject({ status: 'requested', retrain: { retrain_id: 'm:2:2' } });
    expect(h.skipped.map((s) => s.reason)).toEqual(['in_flight', 'cooldown']);
    const history = h.retrainer.historyOf('m', 10);
    expect(history.map((r) => [r.retrain.retrain_id, r.outcome?.version ?? null])).toEqual([
      ['m:2:2', null],
      ['m:2:1', '3'],
    ]);
    expect(h.retrainer.historyOf('other', 10)).toEqual([]);
    expect(h.retrainer.historyOf(undefined, 1)).toHaveLength(1);
  });

  it('when the lease of the retrain in flight is gone (expired, or its outcome never came), then the next trigger finds out and goes', async () => {
    const h = harness();
    await h.retrainer.consider(driftCase({ cause: { trigger: 'manual', detail: 'by hand', sinceMs: 0 } }));
    h.leases.clear();
    const again = driftCase({ cause: { trigger: 'manual', detail: 'again', sinceMs: 0 } });
    expect(await h.retrainer.consider(again)).toMatchObject({ status: 'skipped', reason: 'in_flight' });
    await h.retrainer.settle();
    expect(await h.retrainer.consider(again)).toMatchObject({ status: 'skipped', reason: 'in_flight' }); // too young
    h.advance(10_000);
    expect(await h.retrainer.consider(again)).toMatchObject({ status: 'skipped', reason: 'in_flight' });
    await h.retrainer.settle();
    const next = await h.retrainer.consider(again);
    expect(next).toMatchObject({ status: 'requested', retrain: { retrain_id: 'm:2:2' } });
  });

  it('when the rows check failed and no label came since, then the label join is not scanned again', async () => {
    const h = harness();
    let scans = 0;
    const few = () => {
      scans++;
      return { ...window(), newLabelled: 2 };
    };
    expect(await h.retrainer.consider(driftCase({ window: few }))).toMatchObject({ reason: 'too_few_labels' });
    expect(await h.retrainer.consider(driftCase({ window: few }))).toMatchObject({ reason: 'too_few_labels' });
    expect(scans).toBe(1);
    expect(await h.retrainer.consider(driftCase({ window: few, labels: 13 }))).toMatchObject({
      reason: 'too_few_labels',
    });
    expect(scans).toBe(2);
  });

  it('when the rows read back from the log hold too few of a class, then nothing is announced and the lease is released', async () => {
    const h = harness();
    const oneClass = () => {
      const w = window();
      for (const r of w.requests.values()) r.labels.fill(1);
      return w;
    };
    const reply = await h.retrainer.consider(driftCase({ window: oneClass }));
    expect(reply).toMatchObject({ status: 'skipped', reason: 'one_class' });
    expect(reply.status === 'skipped' && reply.message).toMatch(/^the rows read back from the prediction log: /);
    expect(h.requested).toEqual([]);
    expect(h.leases.size).toBe(0);
  });

  it("when the replaced version's tuning cannot be read, then the retrain still goes with the default grid and metric", async () => {
    const h = harness(undefined, true);
    expect(await h.retrainer.consider(driftCase())).toMatchObject({ status: 'requested' });
    expect(h.requests[0]).not.toHaveProperty('grid');
    expect(h.requests[0]).toMatchObject({ selection_metric: 'accuracy' });
  });

  it("when recent+original is asked, then the replaced version's own data set trains too, and the announcement says so", async () => {
    const h = harness(undefined, false, 0, 'recent+original');
    const reply = await h.retrainer.consider(driftCase());
    expect(reply).toMatchObject({ status: 'requested', retrain: { data: 'recent+original' } });
    expect(h.requests[0]?.append_training).toEqual({ kind: 'synthetic', n_samples: 1000, random_state: 42 });
    expect(TuneRequestSchema.safeParse(h.requests[0]).success).toBe(true);
    const alone = harness(undefined, true, 0, 'recent+original');
    expect(await alone.retrainer.consider(driftCase())).toMatchObject({ retrain: { data: 'recent' } });
    expect(alone.requests[0]).not.toHaveProperty('append_training');
  });

  it('when the trainer does not answer, then the retrain stays in flight and its request is sent again until accepted', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const h = harness(undefined, false, 2);
      expect(await h.retrainer.consider(driftCase())).toMatchObject({ status: 'requested' });
      expect(h.requests).toHaveLength(1);
      expect(await h.retrainer.consider(driftCase())).toMatchObject({ status: 'skipped', reason: 'in_flight' });
      await vi.advanceTimersByTimeAsync(5000);
      expect(h.requests).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(h.requests).toHaveLength(3);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(h.requests).toHaveLength(3);
      expect(new Set(h.requests.map((r) => r.tuning_id)).size).toBe(1);
      expect(h.leases.get('m')?.value.state).toBe('sent');
      expect(h.requested).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('when a restarted monitor cannot reach the trainer, then it still starts and keeps sending in the background until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const first = harness();
      await first.retrainer.consider(driftCase());
      const sent = first.leases.get('m');
      if (sent === undefined) throw new Error('no lease');
      const h = harness(undefined, false, 100);
      h.leases.set('m', sent);
      await h.retrainer.resume();
      await vi.advanceTimersByTimeAsync(5000);
      expect(h.requests).toHaveLength(2);
      h.retrainer.stop();
      await h.retrainer.settle();
      await vi.advanceTimersByTimeAsync(120_000);
      expect(h.requests).toHaveLength(2);
      expect(h.leases.get('m')?.value.state).toBe('sent');
    } finally {
      vi.useRealTimers();
    }
  });

  it('when the trainer refuses the tune request, then the lease is released, the refusal is the reason and the history says it failed', async () => {
    const h = harness({ status: 'rejected', tuning_id: null, errors: [{ path: 'dataset', message: 'no file' }] });
    const reply = await h.retrainer.consider(driftCase());
    expect(reply).toMatchObject({ status: 'skipped', reason: 'failed' });
    expect(reply.status === 'skipped' && reply.message).toMatch(
      /the trainer refused tuning retrain-m-v2-1-\w{8}: dataset: no file/,
    );
    expect(h.leases.size).toBe(0);
    expect(h.retrainer.historyOf('m', 1)[0]?.outcome).toMatchObject({ verdict: 'failed', version: null });
    expect(h.failed).toEqual([
      expect.objectContaining({ model: 'm', reason: expect.stringMatching(/the trainer refused tuning .*no file/) }),
    ]);
  });

  it('when the served version takes a table, then its raw columns are written back and the tune request pins their roles and keeps the whole grid', async () => {
    const logged = { features: Float64Array.from([12.5, 1, Number.NaN, 0]), columns: 2, rawColumns: true };
    const h = harness(undefined, false, 0, 'recent+original', logged);
    const table = {
      columns: [
        { name: 'tenure', kind: 'number' as const, role: 'numeric' as const },
        { name: 'plan', kind: 'text' as const, role: 'categorical' as const },
      ],
      categories: [[], ['basic', 'pro']],
    };
    const inputs = { featureNames: ['tenure', 'plan_basic', 'plan_pro'], classes: [0, 1] as [0, 1], table };
    expect(await h.retrainer.consider(driftCase({ inputs }))).toMatchObject({ status: 'requested' });
    const [path, text] = [...h.written][0] ?? [];
    expect(text?.split('\n').slice(0, 3)).toEqual(['tenure,plan,y', '12.5,pro,0', ',basic,1']);
    expect(h.requests[0]).toMatchObject({
      dataset: {
        kind: 'csv',
        path,
        target: 'y',
        features: 'table',
        columns: { numeric: ['tenure'], categorical: ['plan'] },
      },
      grid: { C: [1, 10], solver: ['lbfgs'], scale: [true, false] },
    });
    expect(h.requests[0]).not.toHaveProperty('append_training');
    expect(h.requested[0]).toMatchObject({ data: 'recent', dataset: { rows: 12, unseen_cells: 0 } });
    expect(TuneRequestSchema.safeParse(h.requests[0]).success).toBe(true);
  });

  it('when a restarted monitor finds a lease left sent whose verdict is already known, then it releases it and sends nothing again', async () => {
    const first = harness();
    await first.retrainer.consider(driftCase());
    const sent = first.leases.get('m');
    const retrain = first.requested[0];
    if (sent === undefined || retrain === undefined) throw new Error('no retrain');
    const h = harness();
    h.leases.set('m', sent);
    h.retrainer.remember(retrain);
    h.retrainer.rememberOutcome(retrain.tuning_id, rejectedAs('3'));
    await h.retrainer.resume();
    expect(h.leases.size).toBe(0);
    expect(h.requests).toEqual([]);
    expect(h.requested).toEqual([]);
    expect(h.retrainer.historyOf('m', 1)[0]?.outcome).toMatchObject({ verdict: 'rejected', version: '3' });
  });

  it('when a restarted monitor finds a lease left sent, then it announces and sends the same request again; one left building is released', async () => {
    const first = harness();
    await first.retrainer.consider(driftCase());
    const sent = first.leases.get('m');
    if (sent === undefined) throw new Error('no lease');
    const h = harness();
    h.leases.set('m', sent);
    h.leases.set('other', { model: 'other', revision: 99, value: { ...sent.value, state: 'building' } });
    await h.retrainer.resume();
    expect(h.requested).toEqual(first.requested);
    expect(h.requests).toEqual(first.requests);
    expect([...h.leases.keys()]).toEqual(['m']);
    expect(await h.retrainer.consider(driftCase())).toMatchObject({ status: 'skipped', reason: 'in_flight' });
  });

  it('when past retrains are read back at start, then the cooldown and the numbering continue from them', async () => {
    const first = harness();
    await first.retrainer.consider(driftCase());
    const h = harness();
    const event = first.requested[0];
    if (event === undefined) throw new Error('no event');
    h.retrainer.remember(event);
    expect(await h.retrainer.consider(driftCase())).toMatchObject({ status: 'skipped', reason: 'cooldown' });
    h.advance(60_000);
    expect(h.retrainer.newAfterMs('m')).toBe(Date.parse(event.dataset.window.to));
    expect(await h.retrainer.consider(driftCase())).toMatchObject({ retrain: { retrain_id: 'm:2:2' } });
  });
});
