import {
  type DatasetSpec,
  type EventData,
  type GateSpec,
  type RETRAIN_DATA_MODES,
  type RetrainHistoryReply,
  type RetrainOutcome,
  type RetrainReply,
  type RetrainSkipReason,
  type SelectionMetric,
  TUNING_STREAM_MAX_AGE_MS,
  type TuneRequestInput,
} from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import type { VersionInputs } from './drift-report.js';
import type { LabelledWindow } from './label-join.js';
import type {
  DatasetStore,
  HeldRetrain,
  LoggedFeatureSource,
  MonitorAnnouncer,
  MonitorMetrics,
  RetrainLeases,
  RetrainLeaseValue,
  TuneRequester,
  VersionTuning,
  VersionTuningSource,
} from './ports.js';
import { type RetrainDatasetFile, retrainDatasetFile, slug } from './retrain-dataset.js';
import { type RetrainCause, type RetrainRules, rowsSkip, timingSkip } from './retrain-policy.js';

/** What the retrainer talks to. */
export interface RetrainerDeps {
  readonly leases: RetrainLeases;
  readonly features: LoggedFeatureSource;
  readonly datasets: DatasetStore;
  readonly tuner: TuneRequester;
  /** How the version being replaced was tuned: its grid, random search and selection metric are reused. */
  readonly tuning: VersionTuningSource;
  readonly announce: MonitorAnnouncer;
  readonly metrics: MonitorMetrics;
  readonly logger: Logger;
  /** Names this monitor in the lease. */
  readonly owner: string;
  readonly now: () => number;
}

/** One retrain decision to weigh: the served version, why, its labelled window and its inputs. */
export interface RetrainCase {
  readonly model: string;
  readonly version: string;
  readonly cause: RetrainCause;
  /** The labelled window, gathered only when the timing checks pass (called before anything is awaited). */
  readonly window: () => LabelledWindow;
  /** Undefined when the version's files could not be read. */
  readonly inputs: VersionInputs | undefined;
  /** The monitoring window that decided; null outside a window. */
  readonly windowIndex: number | null;
  /** Labels joined for the version so far: a failed rows check is not redone until this changes. */
  readonly labels: number;
}

/** One of RETRAIN_DATA_MODES. */
type RetrainDataMode = (typeof RETRAIN_DATA_MODES)[number];

/** A tune request nobody answered is sent again after this long, once more per attempt … */
const RESEND_MS = 5000;
/** … up to this long between attempts. */
const MAX_RESEND_MS = 60_000;

/** A retrain counted in flight for less than this is not checked against its lease (it may be taking it now). */
const SETTLE_BEFORE_CHECK_MS = 10_000;

/** Skip keys remembered at most (one per version, reason and minute: a day of a few versions fits). */
const MAX_SKIPS_REMEMBERED = 10_000;

/** Waits `ms` unless `signal` aborts first; true when the time ran out. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  return await new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

/** What every retrain's tune request says beyond its data: the fallback metric and the gate rules it asks for. */
export interface RetrainRequestRules {
  /** Used when the replaced version's tuning did not record its selection metric. */
  readonly selectionMetric: SelectionMetric;
  /** The gate's rules for a retrain's challenger (e.g. a significance test: labels can be noisy). */
  readonly gate: GateSpec;
  /** recent: the labelled live rows; recent+original: plus the replaced version's data set (training side only). */
  readonly data: RetrainDataMode;
}

/** Past retrains of one model: when the last was requested, its newest row, and how many per version. */
interface ModelHistory {
  lastRequestedAtMs: number;
  lastRowMs: number;
  readonly perVersion: Map<string, number>;
}

type Skip = Extract<RetrainReply, { status: 'skipped' }>;

/**
 * The monitor's retrain role: weighs each trigger with the policy, takes the model's single-flight lease, writes the
 * labelled live rows as a data set, announces `retrain.requested` and sends the tune request; the lease ends when
 * the tuning's outcome (`model.registered` or `model.rejected`) arrives, or by its TTL.
 */
export class Retrainer {
  private readonly history = new Map<string, ModelHistory>();
  /** Every retrain requested (read back at start, then as they are made), by retrain id, oldest first. */
  private readonly requested = new Map<string, EventData<'retrain.requested'>>();
  /** The gate's verdicts, by tuning id. */
  private readonly outcomes = new Map<string, RetrainOutcome>();
  /** Per model, the retrain this monitor counts in flight (a cache of the lease, checked when it blocks one). */
  private readonly running = new Map<string, string>();
  private readonly runningSince = new Map<string, number>();
  /** A rows check that failed, per model, version and trigger, with the label count it saw: not redone until it changes. */
  private readonly rowsSkips = new Map<string, { labels: number; reason: RetrainSkipReason; message: string }>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly stopping = new AbortController();
  /** Skip decisions announced (`<model>:<version>:<reason>:<minute>`): the same one is not published again. */
  private readonly announcedSkips = new Set<string>();

  constructor(
    private readonly rules: RetrainRules,
    private readonly request: RetrainRequestRules,
    private readonly deps: RetrainerDeps,
  ) {}

  /** A `retrain.requested` read back at start: counts it and restarts the cooldown from it. */
  remember(event: EventData<'retrain.requested'>): void {
    this.requested.set(event.retrain_id, event);
    const history = this.pastOf(event.model);
    history.lastRequestedAtMs = Math.max(history.lastRequestedAtMs, Date.parse(event.requested_at));
    history.lastRowMs = Math.max(history.lastRowMs, Date.parse(event.dataset.window.to));
    const n = Number(event.retrain_id.slice(event.retrain_id.lastIndexOf(':') + 1));
    history.perVersion.set(event.version, Math.max(history.perVersion.get(event.version) ?? 0, n));
  }

  /** Labelled rows predicted after this time count as new for the model (after the last retrain's newest row). */
  newAfterMs(model: string): number {
    return this.history.get(model)?.lastRowMs ?? Number.NEGATIVE_INFINITY;
  }

  /** Weighs one case and, when it goes, starts the retrain; resolves with what happened (the tuning runs on). */
  consider(c: RetrainCase): Promise<RetrainReply> {
    const work = this.weigh(c);
    this.track(work);
    return work;
  }

  /**
   * At start: a lease a previous run left `sent` is announced and sent again (both de-duplicated by id), and then
   * waits for its outcome; one left `building` sent nothing and is released (the policy decides again).
   */
  async resume(): Promise<void> {
    for (const held of await this.deps.leases.all()) {
      const { retrain, request } = held.value;
      if (held.value.state !== 'sent' || retrain === undefined || request === undefined) {
        await this.deps.leases.release(held);
        continue;
      }
      this.remember(retrain);
      if (this.outcomes.has(retrain.tuning_id)) {
        // Its verdict (or failure) came while no monitor ran: over, and never sent again (a tune request repeated
        // after JetStream's duplicate window would run the tuning a second time).
        await this.deps.leases.release(held);
        this.deps.logger.info({ retrain: retrain.retrain_id }, 'retrain finished while the monitor was down');
        continue;
      }
      this.markRunning(held.model, retrain.retrain_id);
      this.deps.metrics.retrainInFlight(held.model, true);
      await this.deps.announce.retrainRequested(retrain);
      const sent = await this.send(held, retrain, request);
      this.deps.logger.info({ retrain: retrain.retrain_id, sent: sent.status }, 'retrain in flight resumed');
    }
  }

  /** Stops retrying tune requests (a clean stop); what is in flight stays in its lease for the next start. */
  stop(): void {
    this.stopping.abort();
  }

  /** A verdict read back at start (or as it comes): what `history` reports for its tuning. */
  rememberOutcome(tuningId: string, outcome: RetrainOutcome): void {
    this.outcomes.set(tuningId, outcome);
  }

  /**
   * A retrain tuning that failed before any verdict, read back at start: its outcome unless a verdict is known.
   * Returns the `retrain.failed` record of a failure newly learnt this way (none for another tuning or a known one).
   */
  rememberFailure(failure: TuningFailure): EventData<'retrain.failed'> | undefined {
    const retrain = this.retrainOfTuning(failure.tuningId);
    if (retrain === undefined || this.outcomes.has(failure.tuningId)) return undefined;
    this.rememberOutcome(failure.tuningId, failedOutcome(failure.reason, failure.at));
    return failedData(retrain, failure.reason, failure.at);
  }

  /**
   * A tuning ended with no verdict to come (refused by the worker, or no trial succeeded): when a retrain asked for
   * it, that retrain is over as failed, its lease released. Other tunings are not the retrainer's concern.
   */
  async onTuningFailed(failure: TuningFailure): Promise<void> {
    const retrain = this.retrainOfTuning(failure.tuningId);
    if (retrain === undefined) return;
    this.deps.logger.warn({ retrain: retrain.retrain_id, reason: failure.reason }, 'retrain tuning failed');
    // The lease first: announcing waits for NATS, and the consumer's message stays unacknowledged until it is stored.
    await this.onTuningOutcome(retrain.model, failure.tuningId, failedOutcome(failure.reason, failure.at));
    await this.deps.announce.retrainFailed(failedData(retrain, failure.reason, failure.at));
  }

  private retrainOfTuning(tuningId: string): EventData<'retrain.requested'> | undefined {
    for (const retrain of this.requested.values()) if (retrain.tuning_id === tuningId) return retrain;
    return undefined;
  }

  /**
   * Past retrains (of one model, or all), newest first, each with its verdict (null while its tuning runs). One with
   * none older than the tunings' events (TUNE_REQUESTS, TUNING_EVENTS keep 30 days) is over: it says so.
   */
  historyOf(model: string | undefined, limit: number): RetrainHistoryReply['retrains'] {
    const retrains = [...this.requested.values()].filter((r) => model === undefined || r.model === model);
    const oldest = this.deps.now() - TUNING_STREAM_MAX_AGE_MS;
    return retrains
      .reverse()
      .slice(0, limit)
      .map((retrain) => {
        const outcome = this.outcomes.get(retrain.tuning_id) ?? null;
        if (outcome !== null || Date.parse(retrain.requested_at) >= oldest) return { retrain, outcome };
        return { retrain, outcome: failedOutcome(NO_VERDICT_ON_RECORD, retrain.requested_at) };
      });
  }

  /**
   * A tuning's outcome arrived: recorded, and the retrain that asked for it (if any) is over: its lease released,
   * and this monitor no longer counts it in flight even when the lease had already expired.
   */
  async onTuningOutcome(model: string, tuningId: string, outcome: RetrainOutcome): Promise<void> {
    this.rememberOutcome(tuningId, outcome);
    const runningId = this.running.get(model);
    if (runningId !== undefined && this.requested.get(runningId)?.tuning_id === tuningId) {
      this.clearRunning(model, runningId);
    }
    const held = await this.deps.leases.holder(model);
    if (held?.value.retrain?.tuning_id !== tuningId) return;
    await this.end(model, held);
    this.deps.logger.info({ retrain: held.value.retrain_id, tuning_id: tuningId }, 'retrain finished');
  }

  /** The lease is the truth: when it no longer holds the retrain this monitor counts in flight, stop counting it. */
  private async checkInFlight(model: string): Promise<void> {
    const runningId = this.running.get(model);
    if (runningId === undefined) return;
    // A retrain being started holds `running` a moment before its lease exists: leave young ones alone.
    if (this.deps.now() - (this.runningSince.get(model) ?? 0) < SETTLE_BEFORE_CHECK_MS) return;
    const held = await this.deps.leases.holder(model).catch(() => null);
    if (held === null || held?.value.retrain_id === runningId) return;
    this.deps.logger.warn({ model, retrain: runningId }, 'retrain lease gone (expired or taken): no longer in flight');
    this.clearRunning(model, runningId);
  }

  private markRunning(model: string, retrainId: string): void {
    this.running.set(model, retrainId);
    this.runningSince.set(model, this.deps.now());
  }

  private clearRunning(model: string, retrainId: string): void {
    if (this.running.get(model) !== retrainId) return;
    this.running.delete(model);
    this.deps.metrics.retrainInFlight(model, false);
  }

  /** Waits for the decisions being carried out (for a clean stop). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async weigh(c: RetrainCase): Promise<RetrainReply> {
    const now = this.deps.now();
    const last = this.history.get(c.model)?.lastRequestedAtMs;
    const timing = {
      trigger: c.cause.trigger,
      lastRequestedAtMs: last !== undefined && Number.isFinite(last) ? last : null,
      inFlight: this.running.get(c.model) ?? null,
    };
    const early = timingSkip(this.rules, timing, now);
    if (early !== null && !early.go) {
      if (early.reason === 'in_flight') this.track(this.checkInFlight(c.model));
      return await this.skip(c, early.reason, early.message);
    }
    const key = `${c.model}:${c.version}:${c.cause.trigger}`;
    const known = this.rowsSkips.get(key);
    if (known !== undefined && known.labels === c.labels) return await this.skip(c, known.reason, known.message);
    const window = c.window();
    const late = rowsSkip(this.rules, c.cause.trigger, window);
    if (late !== null && !late.go) {
      this.rowsSkips.set(key, { labels: c.labels, reason: late.reason, message: late.message });
      return await this.skip(c, late.reason, late.message);
    }
    this.rowsSkips.delete(key);
    if (c.inputs === undefined) {
      return await this.skip(c, 'failed', `the files of ${c.model} version ${c.version} could not be read`);
    }
    return await this.start(c, window, c.inputs);
  }

  private async start(c: RetrainCase, window: LabelledWindow, inputs: VersionInputs): Promise<RetrainReply> {
    const n = (this.pastOf(c.model).perVersion.get(c.version) ?? 0) + 1;
    const retrainId = `${c.model}:${c.version}:${n}`;
    const taken = new Date(this.deps.now()).toISOString();
    const building: RetrainLeaseValue = {
      retrain_id: retrainId,
      version: c.version,
      owner: this.deps.owner,
      state: 'building',
      taken_at: taken,
    };
    this.markRunning(c.model, retrainId);
    let held = await this.deps.leases.acquire(c.model, building).catch((err: unknown) => {
      this.clearRunning(c.model, retrainId);
      throw err;
    });
    if (held === undefined) {
      this.clearRunning(c.model, retrainId);
      const holder = await this.deps.leases.holder(c.model);
      return await this.skip(
        c,
        'in_flight',
        `retrain ${holder?.value.retrain_id ?? '(unknown)'} is in flight; one at a time`,
      );
    }
    this.deps.metrics.retrainInFlight(c.model, true);
    let leaseSent = false;
    try {
      const file = await this.dataset(c, window, inputs);
      const kept = [file.summary.rows - file.summary.positives, file.summary.positives] as const;
      const short = rowsSkip(this.rules, 'manual', { newLabelled: file.summary.rows, classCounts: kept });
      if (short !== null && !short.go) {
        await this.end(c.model, held);
        return await this.skip(c, short.reason, `the rows read back from the prediction log: ${short.message}`);
      }
      const tuning = await this.tuningOf(c);
      const original = this.originalOf(c, tuning, inputs);
      const retrain = this.announcement(c, retrainId, n, file, original === undefined ? 'recent' : 'recent+original');
      const request = this.tuneRequest(retrain, file, tuning, original);
      held = await this.deps.leases.update(held, { ...building, state: 'sent', retrain, request });
      if (held === undefined) throw new Error(`the lease of ${retrainId} was lost while its data set was written`);
      leaseSent = true;
      await this.deps.announce.retrainRequested(retrain);
      this.recordRequested(c, n, file);
      this.requested.set(retrain.retrain_id, retrain);
      const sent = await this.send(held, retrain, request);
      if (sent.status === 'rejected') return await this.skip(c, 'failed', sent.message);
      this.deps.metrics.retrainDecision(c.model, c.cause.trigger, 'requested');
      this.deps.logger.info(
        { retrain: retrainId, tuning_id: retrain.tuning_id, rows: file.summary.rows, sent: sent.status },
        'retrain requested',
      );
      return { status: 'requested', retrain };
    } catch (err) {
      // A lease moved to `sent` is kept (the announcement failed only because the monitor is stopping): the next
      // start finds it, announces and sends again under the same ids. Before that, nothing went out: released.
      this.clearRunning(c.model, retrainId);
      if (leaseSent) {
        // Not a failure to record: the next start announces and sends it.
        this.deps.logger.warn({ err, retrain: retrainId }, 'retrain announcement cut short: resumed at the next start');
        throw err;
      }
      if (held !== undefined) await this.end(c.model, held).catch(() => undefined);
      this.deps.logger.error({ err, retrain: retrainId }, 'retrain not started');
      return await this.skip(c, 'failed', `retrain ${retrainId} could not start: ${(err as Error)?.message ?? err}`);
    }
  }

  /**
   * Sends an announced retrain's tune request. Refused: the retrain ends (lease released). No answer (the trainer
   * down, a timeout): it stays in flight and the request is sent again in the background, the lease refreshed each
   * time, until the trainer answers, the lease is lost or the monitor stops (the ids make a repeat harmless).
   */
  private async send(
    held: HeldRetrain,
    retrain: EventData<'retrain.requested'>,
    request: TuneRequestInput,
  ): Promise<{ status: 'accepted' | 'retrying' } | { status: 'rejected'; message: string }> {
    const answer = await this.deps.tuner.request(request).catch((err: unknown) => err as Error);
    if (answer instanceof Error) {
      this.deps.logger.warn({ err: answer, retrain: retrain.retrain_id }, 'tune request unanswered: sending it again');
      this.track(this.resend(held, retrain, request));
      return { status: 'retrying' };
    }
    if (answer.status === 'accepted') return { status: 'accepted' };
    await this.end(held.model, held);
    const errors = answer.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    const message = `the trainer refused tuning ${retrain.tuning_id}: ${errors}`;
    this.recordRefusal(retrain, message);
    return { status: 'rejected', message };
  }

  private async resend(
    first: HeldRetrain,
    retrain: EventData<'retrain.requested'>,
    request: TuneRequestInput,
  ): Promise<void> {
    let held: HeldRetrain | undefined = first;
    for (let attempt = 1; held !== undefined; attempt++) {
      if (!(await pause(Math.min(RESEND_MS * attempt, MAX_RESEND_MS), this.stopping.signal))) return;
      held = await this.deps.leases.update(held, held.value).catch(() => held);
      if (held === undefined) break;
      const answer = await this.deps.tuner.request(request).catch(() => undefined);
      if (answer?.status === 'accepted') return;
      if (answer?.status === 'rejected') {
        const errors = answer.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
        await this.end(held.model, held);
        this.recordRefusal(retrain, `the trainer refused tuning ${retrain.tuning_id}: ${errors}`);
        const c = {
          model: retrain.model,
          version: retrain.version,
          cause: { trigger: retrain.trigger },
          windowIndex: null,
        };
        await this.skip(c, 'failed', `the trainer refused tuning ${retrain.tuning_id}: ${errors}`);
        return;
      }
    }
    this.clearRunning(retrain.model, retrain.retrain_id);
    this.deps.logger.warn({ retrain: retrain.retrain_id }, 'retrain lease lost while its tune request went unanswered');
  }

  /**
   * A refused tune request is the retrain's outcome: `history` shows it failed, not pending forever. Its record is
   * announced in the background (the answer to whoever asked does not wait for NATS; a clean stop does).
   */
  private recordRefusal(retrain: EventData<'retrain.requested'>, reason: string): void {
    const at = new Date(this.deps.now()).toISOString();
    this.rememberOutcome(retrain.tuning_id, failedOutcome(reason, at));
    const announced = this.deps.announce.retrainFailed(failedData(retrain, reason, at));
    this.track(announced);
    announced.catch((err: unknown) =>
      this.deps.logger.warn({ err, retrain: retrain.retrain_id }, 'retrain.failed not stored (the monitor stopped)'),
    );
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    // The caller handles the work's failure; this side chain only forgets it (and must not reject unhandled).
    void work.finally(() => this.pending.delete(work)).catch(() => undefined);
  }

  private async dataset(c: RetrainCase, window: LabelledWindow, inputs: VersionInputs): Promise<RetrainDatasetFile> {
    const wanted = new Set(window.requests.keys());
    const features = await this.deps.features.read(c.model, c.version, window.firstMs, wanted);
    const file = retrainDatasetFile({
      model: c.model,
      version: c.version,
      inputs,
      window,
      features,
      maxRows: this.rules.maxRows,
    });
    await this.deps.datasets.write(file.summary.path, file.text);
    return file;
  }

  /**
   * The replaced version's own data set when the rules ask for recent+original and it is a matrix one its tuning
   * recorded; otherwise undefined (the retrain trains on the recent rows alone, said in `retrain.requested`). A
   * table model's rows are never appended: the trainer appends matrix data sets only.
   */
  private originalOf(c: RetrainCase, tuning: VersionTuning, inputs: VersionInputs): DatasetSpec | undefined {
    if (this.request.data !== 'recent+original') return undefined;
    const original = tuning.dataset;
    const matrix = original !== undefined && (original.kind === 'synthetic' || original.features === 'matrix');
    if (inputs.table === null && matrix) return original;
    const why =
      inputs.table === null ? 'the version recorded no matrix data set' : 'a table model takes no appended rows';
    this.deps.logger.warn(
      { model: c.model, version: c.version },
      `recent+original asked, but ${why}: the retrain uses the recent rows alone`,
    );
    return undefined;
  }

  private announcement(c: RetrainCase, retrainId: string, n: number, file: RetrainDatasetFile, data: RetrainDataMode) {
    const tuningId = `retrain-${slug(c.model).slice(0, 24)}-v${c.version}-${n}-${file.summary.sha256.slice(0, 8)}`;
    return {
      retrain_id: retrainId,
      model: c.model,
      version: c.version,
      trigger: c.cause.trigger,
      detail: c.cause.detail,
      tuning_id: tuningId,
      dataset: file.summary,
      data,
      requested_at: new Date(this.deps.now()).toISOString(),
    } satisfies EventData<'retrain.requested'>;
  }

  /** The replaced version's grid and metric; when they cannot be read, the defaults (logged). */
  private async tuningOf(c: RetrainCase): Promise<VersionTuning> {
    try {
      return await this.deps.tuning.tuningOf(c.model, c.version);
    } catch (err) {
      this.deps.logger.warn(
        { err, model: c.model, version: c.version },
        'tuning of the version not read: defaults used',
      );
      return {};
    }
  }

  private tuneRequest(
    retrain: EventData<'retrain.requested'>,
    file: RetrainDatasetFile,
    tuning: VersionTuning,
    original: DatasetSpec | undefined,
  ): TuneRequestInput {
    const { model } = retrain;
    const grid = tuning.grid === undefined ? undefined : file.table ? tuning.grid : matrixGrid(tuning.grid);
    return {
      tuning_id: retrain.tuning_id,
      dataset: {
        kind: 'csv',
        path: file.summary.path,
        target: file.target,
        ...(file.table === undefined ? { features: 'matrix' } : { features: 'table', columns: file.table }),
        digest: file.summary.sha256,
      },
      split: { test_size: 0.2, random_state: 42, stratify: true },
      ...(original === undefined ? {} : { append_training: original }),
      ...(grid === undefined ? {} : { grid }),
      ...(tuning.search === undefined ? {} : { search: tuning.search }),
      selection_metric: tuning.selectionMetric ?? this.request.selectionMetric,
      experiment_name: model,
      registered_model_name: model,
      gate: this.request.gate,
      lineage: {
        retrain_id: retrain.retrain_id,
        trigger: retrain.trigger,
        detail: retrain.detail,
        replaces_version: retrain.version,
        dataset: retrain.dataset,
      },
    };
  }

  private recordRequested(c: RetrainCase, n: number, file: RetrainDatasetFile): void {
    const history = this.pastOf(c.model);
    history.lastRequestedAtMs = this.deps.now();
    history.lastRowMs = Math.max(history.lastRowMs, Date.parse(file.summary.window.to));
    history.perVersion.set(c.version, n);
  }

  private async end(model: string, held: HeldRetrain): Promise<void> {
    await this.deps.leases.release(held);
    this.clearRunning(model, held.value.retrain_id);
  }

  private async skip(
    c: Pick<RetrainCase, 'model' | 'version' | 'windowIndex'> & { cause: Pick<RetrainCause, 'trigger'> },
    reason: RetrainSkipReason,
    message: string,
  ): Promise<Skip> {
    this.deps.metrics.retrainDecision(c.model, c.cause.trigger, reason);
    const skippedAt = this.deps.now();
    const data: EventData<'retrain.skipped'> = {
      model: c.model,
      version: c.version,
      trigger: c.cause.trigger,
      reason,
      message,
      window: c.windowIndex,
      skipped_at: new Date(skippedAt).toISOString(),
    };
    const key = `${c.model}:${c.version}:${reason}:${Math.floor(skippedAt / 60_000)}`;
    if (!this.announcedSkips.has(key)) {
      if (this.announcedSkips.size >= MAX_SKIPS_REMEMBERED) this.announcedSkips.clear();
      this.announcedSkips.add(key);
      await this.deps.announce.retrainSkipped(data, key);
    }
    return { status: 'skipped', reason, message };
  }

  private pastOf(model: string): ModelHistory {
    let history = this.history.get(model);
    if (history === undefined) {
      history = {
        lastRequestedAtMs: Number.NEGATIVE_INFINITY,
        lastRowMs: Number.NEGATIVE_INFINITY,
        perVersion: new Map(),
      };
      this.history.set(model, history);
    }
    return history;
  }
}

/** A grid without the table-only axes (a matrix data set refuses them). */
function matrixGrid(grid: NonNullable<VersionTuning['grid']>): TuneRequestInput['grid'] {
  const { scale: _scale, impute: _impute, categorical_missing: _missing, ...rest } = grid;
  return rest;
}

/** A retrain tuning that ended with no verdict to come, and why. */
export interface TuningFailure {
  readonly tuningId: string;
  readonly reason: string;
  /** When it ended (ISO 8601). */
  readonly at: string;
}

/** The `retrain.failed` record of a retrain whose tuning ended with no verdict. */
function failedData(retrain: EventData<'retrain.requested'>, reason: string, at: string): EventData<'retrain.failed'> {
  const { retrain_id, model, version, tuning_id } = retrain;
  return { retrain_id, model, version, tuning_id, reason: cutReason(reason), failed_at: at };
}

/** A reason as `retrain.failed` holds it, so `history` says the same before and after a restart. */
function cutReason(reason: string): string {
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}

const MAX_REASON = 10_000;

const NO_VERDICT_ON_RECORD =
  "no verdict on record: the gate never judged its tuning, whose events are past their streams' 30-day retention";

function failedOutcome(reason: string, at: string): RetrainOutcome {
  return { verdict: 'failed', version: null, run_id: null, champion_version: null, reason: cutReason(reason), at };
}
