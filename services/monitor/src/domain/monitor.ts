import type {
  FeedbackItem,
  FeedbackReply,
  MonitorCheckpoint,
  MonitorWindowData,
  RetrainHistoryReply,
  RetrainOutcome,
  RetrainReply,
  VersionStatus,
} from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import {
  type DriftRules,
  driftOfWindow,
  noDrift,
  prepareReference,
  referenceRows,
  type VersionReference,
} from './drift-report.js';
import { foldEpisode, type StoredEpisode } from './episode-replay.js';
import { type ClassesLookup, recordLabels, waitForPredictions } from './label-intake.js';
import { LabelJoin } from './label-join.js';
import type { PerformanceRules } from './live-performance.js';
import { PERFORMANCE_REFRESH_MS, PerformanceWatch } from './performance-watch.js';
import type { MonitorAnnouncer, MonitorMetrics, VersionFilesSource } from './ports.js';
import { type PredictionBatch, versionKey } from './prediction-batch.js';
import { automaticCause, type RetrainCause, type RetrainRules } from './retrain-policy.js';
import type { Retrainer } from './retrainer.js';
import {
  type ClosedWindow,
  finishedSequences,
  type Settle,
  sequenceRanges,
  sequencesOf,
  WindowBook,
} from './window-book.js';

/** The monitor's rules, from its config. */
export interface MonitorRules {
  readonly window: { readonly rows: number; readonly ms: number; readonly minRows: number };
  readonly drift: DriftRules;
  readonly join: { readonly horizonMs: number; readonly maxRows: number };
  readonly performance: PerformanceRules;
  readonly retrain: RetrainRules;
}

/** What the monitor talks to. */
export interface MonitorDeps {
  readonly files: VersionFilesSource;
  readonly announce: MonitorAnnouncer;
  readonly metrics: MonitorMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
  /** The retrain role; absent: no retraining (the monitor only watches). */
  readonly retrainer?: Retrainer;
}

/** Labels have a version's performance judged at most this often (see judgeSoon). */
const LABEL_JUDGE_MS = 1000;
/** `mlops monitor` shows live performance at most this old (a pass per version: many versions would stall). */
const STATUS_PERFORMANCE_MS = 1000;
/** An automatic retrain trigger of one version is weighed at most this often (each weighing scans the label join). */
const RETRAIN_CHECK_MS = 1000;
/**
 * The performance gauges of every version with rows in the join are shown from a fresh pass at least this often, with
 * no window or label coming: predictions leave the live window as time passes (its coverage and metrics move while the
 * traffic has stopped).
 */
const GAUGES_SWEEP_MS = 60_000;

/**
 * The monitor's rules in one place: windows of logged predictions per served version, drift against the version's
 * reference, late labels joined by prediction id, live performance and its episodes. Every change of state runs
 * one at a time (a serial queue), so windows, labels and ticks never interleave.
 */
export class Monitor {
  private readonly join: LabelJoin;
  private readonly book: WindowBook;
  private readonly checkpoints = new Map<string, MonitorCheckpoint>();
  private readonly counted = new Set<number>();
  private readonly references = new Map<string, Promise<VersionReference>>();
  private readonly lastWindows = new Map<string, MonitorWindowData>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly retrainChecks = new Map<string, number>();
  /** Per model, the version that made its latest logged prediction: the one served now, the only one retrained. */
  private readonly served = new Map<string, { version: string; atMs: number }>();
  /**
   * Per model, the champion the last `model.registered` named: a version the alias has left opens no drift episode
   * and is not retrained, even while its last predictions are still being counted (until it is champion again).
   */
  private readonly champions = new Map<string, { version: string; sequence: number }>();
  /** Versions whose trigger came while its weighing was throttled: weighed again at the next tick after the wait. */
  private readonly retrainDue = new Map<string, { reference: VersionReference; windowIndex: number | null }>();
  /**
   * Per version, when its performance gauges are shown again from a fresh pass (a window may have shown a cached
   * value up to PERFORMANCE_REFRESH_MS old, and traffic may stop right after it; a restart shows none until then).
   */
  private readonly gaugesDue = new Map<string, number>();
  /** When every kept version's gauges were last scheduled for a fresh pass (see GAUGES_SWEEP_MS). */
  private gaugesSweptAtMs = Number.NEGATIVE_INFINITY;
  /** Versions whose performance gauges were set since their rows last left the join: each gets a last pass then. */
  private readonly gauged = new Set<string>();
  /** Per version, when labels last had its performance judged, and when labels that came since will be. */
  private readonly judgedAt = new Map<string, number>();
  private readonly judgeDue = new Map<string, number>();
  /** Per version, the windows of its open drift episode judged drifted: what K counts (an unjudged window does not). */
  private readonly judgedDrift = new Map<string, number>();
  /** The newest stored window of each version read at start, counted once toward its episode. */
  private readonly restoredUpTo = new Map<string, number>();
  private readonly now: () => number;
  private readonly watch: PerformanceWatch;

  constructor(
    private readonly rules: MonitorRules,
    private readonly deps: MonitorDeps,
  ) {
    this.join = new LabelJoin(rules.join);
    this.book = new WindowBook(rules.window, this.checkpoints, this.counted);
    this.now = deps.now ?? Date.now;
    this.watch = new PerformanceWatch({
      join: this.join,
      rules: rules.performance,
      announce: deps.announce,
      metrics: deps.metrics,
      logger: deps.logger,
      now: this.now,
      isReplaced: (model, version) => this.isReplaced(model, version),
    });
  }

  /**
   * Resumes from the last `monitor.window` (before anything is consumed): the checkpoints (with the rows of split
   * messages already counted), and the messages it finished, whose acknowledgements may not have reached the server.
   * Windows are reported one at a time and each waits for its acks to be confirmed, so no earlier window can come
   * back.
   */
  restore(last: MonitorWindowData | undefined): void {
    if (last === undefined) return;
    for (const [key, checkpoint] of Object.entries(last.checkpoints)) this.checkpoints.set(key, { ...checkpoint });
    for (const seq of sequencesOf(last.sequences)) this.counted.add(seq);
    this.lastWindows.set(versionKey(last.model, last.version), last);
  }

  /**
   * A stored `monitor.window` read at start, oldest first, after {@link restore}: the newest of each version is its
   * last window, and a window of the open drift episode judged drifted counts toward K.
   */
  rememberWindow(data: MonitorWindowData): void {
    const key = versionKey(data.model, data.version);
    if (data.window <= (this.restoredUpTo.get(key) ?? -1)) return; // published twice: counted once
    this.restoredUpTo.set(key, data.window);
    const known = this.lastWindows.get(key);
    if (known === undefined || known.window <= data.window) this.lastWindows.set(key, data);
    const since = this.checkpoints.get(key)?.drift_since_window ?? null;
    if (since !== null && data.window >= since && data.dataset_drift === true) {
      this.judgedDrift.set(key, (this.judgedDrift.get(key) ?? 0) + 1);
    }
  }

  /** A logged message read while replaying the stream at start: remembered for labels, not counted. */
  rememberPrediction(batch: PredictionBatch): void {
    const now = this.now();
    this.join.addBatch(batch, now);
    this.noteServed(batch);
  }

  /** An episode event stored after the last window, read at start (only the newest per version and kind). */
  rememberEpisode(event: StoredEpisode): void {
    const key = versionKey(event.data.model, event.data.version);
    foldEpisode(this.book.checkpoint(key), event);
    this.watch.remember(event);
    if (this.book.checkpoint(key).drift_since_window === null) this.judgedDrift.delete(key); // its episode ended
  }

  /**
   * A `model.registered` (replayed at start, or consumed): who is champion, unless a later stored move is already
   * known (a redelivered older event changes nothing; a rollback to a lower version is later all the same). Returns
   * whether it was taken.
   */
  rememberChampion(model: string, version: string, sequence: number): boolean {
    const known = this.champions.get(model);
    // The same sequence is the same event, read at start and then delivered: still applied (its episode may be open).
    if (known !== undefined && known.sequence > sequence) return false;
    this.champions.set(model, { version, sequence });
    return true;
  }

  /** A stored label read while replaying at start. */
  rememberLabel(predictionId: string, label: 0 | 1, receivedAtMs: number): void {
    this.join.applyLabel(predictionId, label, receivedAtMs);
  }

  /**
   * A logged message from the durable consumer: its rows counted in its version's windows (split across them at the
   * window size); `settle` acks it once the window holding its last rows is reported. A report fails only when the
   * monitor stops (the announcer retries until then), and the next start resumes from the last published window.
   */
  onPrediction(batch: PredictionBatch, settle: Settle): Promise<void> {
    return this.serially(async () => {
      const now = this.now();
      this.join.addBatch(batch, now);
      this.noteServed(batch);
      this.deps.metrics.joinRows(this.join.size);
      const uncounted = this.book.uncountedRows(batch);
      const outcome = this.book.offer(batch, settle, now);
      if (outcome === 'held') return;
      if (outcome === 'counted') {
        // Skipped again if its acknowledgement is lost and it comes back.
        await settle.ack().catch(() => this.counted.add(batch.sequence));
        return;
      }
      this.deps.metrics.rowsCounted(versionKey(batch.model, batch.version), uncounted);
      void this.referenceOf(batch.model, batch.version).catch(() => undefined); // warm the cache
      for (const window of outcome) await this.report(window);
    });
  }

  /** Closes windows that reached their time limit and forgets predictions past the horizon. */
  tick(): Promise<void> {
    return this.serially(async () => {
      const now = this.now();
      this.join.evict(now);
      this.deps.metrics.joinRows(this.join.size);
      for (const window of this.book.expired(now)) await this.report(window);
      for (const [key, dueAtMs] of [...this.judgeDue]) {
        if (dueAtMs > now) continue;
        this.judgeDue.delete(key);
        this.judgedAt.set(key, now);
        await this.judgePerformance(key);
      }
      await this.sweepGauges(now);
      for (const [key, dueAtMs] of [...this.gaugesDue]) {
        if (dueAtMs > now) continue;
        this.gaugesDue.delete(key);
        await this.showPerformance(key);
      }
      for (const [key, due] of [...this.retrainDue]) {
        const [model, version] = splitKey(key);
        this.considerRetrain(model, version, due.reference, due.windowIndex);
      }
    });
  }

  /**
   * After {@link restore} and the replays: shows every version's last window on the gauges at once, and judges its
   * live performance at the next tick (a restart must not leave a drifting or degraded version looking fine, nor lose
   * a judgement the labels before the stop were still waiting for).
   */
  showRestored(): void {
    for (const [key, window] of this.lastWindows) {
      this.deps.metrics.windowShown(window);
      if (this.isReplaced(window.model, window.version)) this.deps.metrics.replaced(key);
    }
    // Only versions with kept predictions have labels to judge (each judgement is a pass over the whole join).
    for (const { model, version } of this.join.versions()) this.judgeDue.set(versionKey(model, version), 0);
  }

  /** Labels from a client: each joined, stored as `label.recorded`, or refused with why; returns the answer. */
  async feedback(items: readonly FeedbackItem[]): Promise<FeedbackReply> {
    await waitForPredictions(items, this.join, this.now);
    return await this.serially(async () => {
      const { reply, touched } = await recordLabels(items, {
        join: this.join,
        classesOf: (model, version) => this.classesOf(model, version),
        announce: this.deps.announce,
        metrics: this.deps.metrics,
        now: this.now,
      });
      for (const key of touched) await this.judgeSoon(key);
      return reply;
    });
  }

  /** What the monitor knows of every version (or the ones asked for). */
  status(filter: { name?: string | undefined; version?: string | undefined }): Promise<VersionStatus[]> {
    return this.serially(async () => {
      const keys = new Set([
        ...this.checkpoints.keys(),
        ...this.join.versions().map((v) => versionKey(v.model, v.version)),
      ]);
      const out: VersionStatus[] = [];
      for (const key of [...keys].sort()) {
        const [model, version] = splitKey(key);
        if (
          (filter.name !== undefined && filter.name !== model) ||
          (filter.version !== undefined && filter.version !== version)
        )
          continue;
        out.push(await this.statusOf(model, version));
      }
      return out;
    });
  }

  private async statusOf(model: string, version: string): Promise<VersionStatus> {
    const key = versionKey(model, version);
    const reference = await this.referenceOf(model, version).catch((err: unknown) => unavailable(err));
    const checkpoint = this.book.checkpoint(key);
    const last = this.lastWindows.get(key);
    const { checkpoints: _, ...lastWindow } = last ?? { checkpoints: {} };
    const refused = this.join.labelCounts('');
    // A replaced version's episode ended as superseded (gauge at 0): its late labels do not show it degraded again.
    const live = this.watch.shown(model, version, this.watch.of(key, reference, STATUS_PERFORMANCE_MS));
    return {
      model,
      version,
      drift_unavailable: reference.driftUnavailable,
      windows: checkpoint.windows,
      last_window: last === undefined ? null : (lastWindow as VersionStatus['last_window']),
      drift_since_window: checkpoint.drift_since_window,
      performance: live,
      labels: { ...refused, joined: this.join.labelCounts(key).joined },
    };
  }

  /** The window's drift; a window the statistics cannot take is reported without drift (logged), never lost. */
  private driftOf(window: ClosedWindow, reference: VersionReference) {
    try {
      return driftOfWindow(window, reference, this.rules.drift, this.rules.window.minRows);
    } catch (err) {
      const { model, version, index } = window;
      this.deps.logger.warn({ err, model, version, window: index }, 'drift not computed for this window');
      return noDrift();
    }
  }

  /** A version's classes for its labels, or why they cannot be read now. */
  private classesOf(model: string, version: string): Promise<ClassesLookup> {
    return this.referenceOf(model, version).then(
      (reference): ClassesLookup =>
        reference.inputs === undefined
          ? { failure: reference.driftUnavailable ?? 'its classes are not known' }
          : { classes: reference.inputs.classes, classLabels: reference.classLabels },
      (err: unknown) => ({ failure: (err as Error)?.message ?? String(err) }),
    );
  }

  /**
   * Judges a version's live performance after new labels: at once, unless it was judged in the last
   * LABEL_JUDGE_MS, then at the first tick after that (a pass over every kept row of the version takes tens of ms
   * with millions kept: labels sent one by one must not pay it each).
   */
  private async judgeSoon(key: string): Promise<void> {
    const now = this.now();
    const last = this.judgedAt.get(key);
    if (last !== undefined && now - last < LABEL_JUDGE_MS) {
      if (!this.judgeDue.has(key)) this.judgeDue.set(key, last + LABEL_JUDGE_MS);
      return;
    }
    this.judgedAt.set(key, now);
    await this.judgePerformance(key);
  }

  private async report(window: ClosedWindow): Promise<void> {
    const reference = await this.referenceOf(window.model, window.version).catch((err: unknown) => unavailable(err));
    const drift = this.driftOf(window, reference);
    const checkpoint = this.book.checkpoint(window.key);
    await this.announceDriftEpisode(window, drift.datasetDrift, drift.drifted, drift.driftShare, checkpoint);
    const performance = this.watch.of(window.key, reference);
    await this.watch.announce(window.model, window.version, performance, checkpoint);
    this.gauged.add(window.key);
    const data: MonitorWindowData = {
      model: window.model,
      version: window.version,
      window: window.index,
      rows: window.rows,
      sequences: sequenceRanges(finishedSequences(window)),
      opened_at: new Date(window.openedAtMs).toISOString(),
      closed_at: new Date(window.closedAtMs).toISOString(),
      closed_by: window.closedBy,
      reference_rows: referenceRows(reference),
      features: drift.features,
      prediction: drift.prediction,
      dataset_drift: drift.datasetDrift,
      drift_share: drift.driftShare,
      drifted_features: drift.drifted,
      missing: drift.missing,
      performance,
      checkpoints: this.book.snapshot(),
    };
    await this.deps.announce.window(data);
    await this.acknowledge(window);
    this.considerRetrain(window.model, window.version, reference, window.index);
    this.lastWindows.set(window.key, data);
    this.deps.metrics.windowClosed(data);
    if (!this.gaugesDue.has(window.key)) this.gaugesDue.set(window.key, this.now() + PERFORMANCE_REFRESH_MS);
    if (this.isReplaced(window.model, window.version)) this.deps.metrics.replaced(window.key);
  }

  /**
   * Confirms the messages whose last rows a reported window holds; one whose ack fails is remembered, so a
   * redelivery is skipped.
   */
  private async acknowledge(window: ClosedWindow): Promise<void> {
    const acks = window.parts.map(({ batch, settle }) =>
      settle?.ack().catch(() => {
        this.counted.add(batch.sequence);
      }),
    );
    await Promise.all(acks);
  }

  private async announceDriftEpisode(
    window: ClosedWindow,
    datasetDrift: boolean | null,
    drifted: string[],
    driftShare: number | null,
    checkpoint: MonitorCheckpoint,
  ): Promise<void> {
    const at = new Date(window.closedAtMs).toISOString();
    const served = this.isServed(window.model, window.version);
    if (datasetDrift === true && checkpoint.drift_since_window === null && served) {
      const firstPredictedAt = new Date(firstPredictionMs(window)).toISOString();
      await this.deps.announce.driftDetected({
        model: window.model,
        version: window.version,
        window: window.index,
        drifted_features: drifted,
        drift_share: driftShare ?? 0,
        detected_at: at,
        first_predicted_at: firstPredictedAt,
      });
      checkpoint.drift_since_window = window.index;
      checkpoint.drift_since_at = firstPredictedAt;
      this.judgedDrift.set(window.key, 1);
    } else if (datasetDrift === true && checkpoint.drift_since_window !== null) {
      this.judgedDrift.set(window.key, (this.judgedDrift.get(window.key) ?? 0) + 1);
    } else if (datasetDrift === false && checkpoint.drift_since_window !== null) {
      await this.deps.announce.driftResolved({
        model: window.model,
        version: window.version,
        window: window.index,
        detected_window: checkpoint.drift_since_window,
        resolved_at: at,
      });
      this.judgedDrift.delete(window.key);
      checkpoint.drift_since_window = null;
      checkpoint.drift_since_at = null;
    }
  }

  private async judgePerformance(key: string): Promise<void> {
    const [model, version] = splitKey(key);
    const reference = await this.referenceOf(model, version).catch((err: unknown) => unavailable(err));
    await this.watch.announce(model, version, this.watch.of(key, reference), this.book.checkpoint(key));
    this.gauged.add(key);
    this.considerRetrain(model, version, reference, null);
  }

  /**
   * Hands an automatic trigger (drift for K windows, degraded performance) to the retrainer, at most every
   * RETRAIN_CHECK_MS per version (a trigger inside the wait is weighed at the first tick after it); the retrainer
   * weighs it and runs the retrain outside this queue.
   */
  private considerRetrain(model: string, version: string, reference: VersionReference, windowIndex: number | null) {
    const retrainer = this.deps.retrainer;
    if (retrainer === undefined) return;
    const key = versionKey(model, version);
    const now = this.now();
    const current = this.isServed(model, version);
    const cause = current
      ? automaticCause(
          this.rules.retrain,
          this.book.checkpoint(key),
          now,
          this.rules.performance.windowMs,
          // Not known (the episode's windows are gone from the stream): 0, so no window counts unseen.
          this.judgedDrift.get(key) ?? 0,
        )
      : null; // late labels of a replaced version must not retrain it
    if (cause === null) {
      this.retrainDue.delete(key);
      return;
    }
    if (now - (this.retrainChecks.get(key) ?? Number.NEGATIVE_INFINITY) < RETRAIN_CHECK_MS) {
      this.retrainDue.set(key, { reference, windowIndex });
      return;
    }
    this.retrainDue.delete(key);
    this.retrainChecks.set(key, now);
    this.handToRetrainer(retrainer, model, version, cause, reference, windowIndex).catch((err: unknown) =>
      this.deps.logger.error({ err, model, version }, 'retrain decision failed'),
    );
  }

  private handToRetrainer(
    retrainer: Retrainer,
    model: string,
    version: string,
    cause: RetrainCause,
    reference: VersionReference,
    windowIndex: number | null,
  ): Promise<RetrainReply> {
    const key = versionKey(model, version);
    return retrainer.consider({
      model,
      version,
      cause,
      window: () => this.join.labelledWindow(key, cause.sinceMs, retrainer.newAfterMs(model)),
      inputs: reference.inputs,
      windowIndex,
      labels: this.join.labelCounts(key).joined,
    });
  }

  /**
   * A retrain asked for by a person (`mlops retrain`): of the version of `model` being served (its champion; the one
   * that logged the last prediction when no champion move was seen), on its labelled rows since its drift began (or
   * over the performance window); the retrainer refuses it with why when they are too few. Waits for the decision.
   */
  async retrainByHand(request: {
    model?: string | undefined;
    reason?: string | undefined;
    requested_by?: string | undefined;
  }): Promise<RetrainReply> {
    const retrainer = this.deps.retrainer;
    if (retrainer === undefined) {
      return {
        status: 'skipped',
        reason: 'disabled',
        message: 'this monitor runs without retraining (MONITOR_RETRAIN=false)',
      };
    }
    const started = await this.serially(async () => {
      const model = request.model ?? this.onlyModel();
      if (model === undefined) return { skipped: 'name the model: the monitor watches several (or none yet)' };
      // The champion is the version served (a promotion by hand moves it before any of its predictions is logged);
      // the version of the last prediction only stands in when no champion move was seen.
      const version = this.champions.get(model)?.version ?? this.served.get(model)?.version;
      if (version === undefined) return { skipped: `no prediction of ${model} is kept: nothing to retrain from` };
      const reference = await this.referenceOf(model, version).catch((err: unknown) => unavailable(err));
      const checkpoint = this.book.checkpoint(versionKey(model, version));
      const now = this.now();
      const sinceMs =
        checkpoint.drift_since_at === null
          ? now - this.rules.performance.windowMs
          : Date.parse(checkpoint.drift_since_at);
      const who = request.requested_by === undefined ? 'by hand' : `by ${request.requested_by}`;
      const detail = `asked ${who}${request.reason === undefined ? '' : `: ${request.reason}`}`;
      const cause: RetrainCause = { trigger: 'manual', detail, sinceMs };
      return { decision: this.handToRetrainer(retrainer, model, version, cause, reference, null) };
    });
    if ('skipped' in started) return { status: 'skipped', reason: 'no_champion', message: started.skipped };
    return await started.decision;
  }

  /**
   * A tuning's outcome (the gate promoted or kept out its model): the retrain waiting for it ends, and when the
   * champion moved, the replaced version's drift episode ends as superseded (its windows stop; the new version is
   * compared with its own reference).
   */
  onModelOutcome(outcome: {
    model: string;
    tuningId: string;
    /** Set when a retrain asked for the tuning: only then is the verdict the retrain's outcome. */
    retrainId: string | undefined;
    verdict: RetrainOutcome;
    promoted?: { version: string; previous: string | null; sequence: number };
  }): Promise<void> {
    return this.serially(async () => {
      if (outcome.retrainId !== undefined) {
        await this.deps.retrainer?.onTuningOutcome(outcome.model, outcome.tuningId, outcome.verdict);
      }
      const { promoted } = outcome;
      // An older move delivered again ends no episode: the champion it names may have been replaced since.
      if (promoted === undefined || !this.rememberChampion(outcome.model, promoted.version, promoted.sequence)) return;
      const previous = promoted.previous;
      if (previous === null || previous === promoted.version) return;
      const key = versionKey(outcome.model, previous);
      const checkpoint = this.book.checkpoint(key);
      if (checkpoint.drift_since_window !== null) {
        await this.deps.announce.driftResolved({
          model: outcome.model,
          version: previous,
          window: Math.max(checkpoint.windows - 1, checkpoint.drift_since_window),
          detected_window: checkpoint.drift_since_window,
          superseded_by: promoted.version,
          resolved_at: new Date(this.now()).toISOString(),
        });
        this.judgedDrift.delete(key);
        checkpoint.drift_since_window = null;
        checkpoint.drift_since_at = null;
      }
      if (checkpoint.degraded) {
        const reference = await this.referenceOf(outcome.model, previous).catch((err: unknown) => unavailable(err));
        await this.watch.endAsSuperseded(outcome.model, previous, promoted.version, reference, checkpoint);
      }
      this.deps.metrics.replaced(key);
    });
  }

  /** Whether the champion alias is known to have left `version` (its late windows and labels change no gauge). */
  private isReplaced(model: string, version: string): boolean {
    const champion = this.champions.get(model)?.version;
    return champion !== undefined && champion !== version;
  }

  /** Past retrains with their verdicts, newest first (empty when this monitor does not retrain). */
  retrainHistory(model: string | undefined, limit: number): RetrainHistoryReply['retrains'] {
    return this.deps.retrainer?.historyOf(model, limit) ?? [];
  }

  /** The one model the monitor has seen predictions of, or undefined when none or several. */
  private onlyModel(): string | undefined {
    return this.served.size === 1 ? [...this.served.keys()][0] : undefined;
  }

  /** Whether `version` made the model's latest prediction and the champion alias has not left it since. */
  private isServed(model: string, version: string): boolean {
    const champion = this.champions.get(model)?.version;
    return this.served.get(model)?.version === version && (champion === undefined || champion === version);
  }

  /** Remembers which version of the batch's model made the latest prediction. */
  private noteServed(batch: PredictionBatch): void {
    const latest = batch.requests.reduce((at, r) => Math.max(at, r.predictedAtMs), Number.NEGATIVE_INFINITY);
    const known = this.served.get(batch.model);
    if (known === undefined || latest >= known.atMs)
      this.served.set(batch.model, { version: batch.version, atMs: latest });
  }

  /**
   * Every GAUGES_SWEEP_MS, schedules a fresh pass of the gauges of every version with rows in the join, and gives each
   * version whose gauges were set and whose rows have all left the join since a last pass at once (its samples
   * removed). Only kept versions are swept: a version long gone is neither loaded nor retried every minute.
   */
  private async sweepGauges(now: number): Promise<void> {
    if (now - this.gaugesSweptAtMs < GAUGES_SWEEP_MS) return;
    this.gaugesSweptAtMs = now;
    const kept = new Set(this.join.versions().map((v) => versionKey(v.model, v.version)));
    for (const key of kept) if (!this.gaugesDue.has(key)) this.gaugesDue.set(key, now);
    for (const key of [...this.gauged]) {
      if (kept.has(key)) continue;
      this.gauged.delete(key);
      this.gaugesDue.delete(key);
      await this.showWithoutRows(key);
    }
  }

  /**
   * Sets the gauges of a version with no row left: nothing to score, so its files are not loaded for it (a reference
   * already read or being read is used, for its training figures; otherwise none).
   */
  private async showWithoutRows(key: string): Promise<void> {
    const [model, version] = splitKey(key);
    const loaded = this.references.get(key) ?? Promise.reject(new Error('no row of the version is kept'));
    const reference = await loaded.catch((err: unknown) => unavailable(err));
    this.watch.show(model, version, reference);
  }

  /** Sets a version's performance gauges from a fresh pass, as a window would (a replaced version never degraded). */
  private async showPerformance(key: string): Promise<void> {
    const [model, version] = splitKey(key);
    const reference = await this.referenceOf(model, version).catch((err: unknown) => unavailable(err));
    this.watch.show(model, version, reference);
    this.gauged.add(key);
  }

  private referenceOf(model: string, version: string): Promise<VersionReference> {
    const key = versionKey(model, version);
    let loading = this.references.get(key);
    if (loading === undefined) {
      loading = this.deps.files.load(model, version).then(prepareReference);
      this.references.set(key, loading);
      loading.then(
        (reference) => this.deps.metrics.reference(key, reference.driftUnavailable === null),
        (err: unknown) => {
          this.references.delete(key); // try again next time
          this.deps.metrics.reference(key, false);
          this.deps.logger.warn({ err, model, version }, 'reference not loaded: drift waits for it');
        },
      );
    }
    return loading;
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** When the window's earliest row was predicted (before it reached the monitor): where a drift episode begins. */
function firstPredictionMs(window: ClosedWindow): number {
  let first = window.openedAtMs;
  for (const { batch, from, to } of window.parts) {
    let offset = 0;
    for (const r of batch.requests) {
      const start = offset;
      offset += r.rows;
      if (offset > from && start < to) first = Math.min(first, r.predictedAtMs);
    }
  }
  return first;
}

function splitKey(key: string): [string, string] {
  const colon = key.lastIndexOf(':');
  return [key.slice(0, colon), key.slice(colon + 1)];
}

function unavailable(err: unknown): VersionReference {
  const reason = `the version's reference could not be read: ${(err as Error)?.message ?? String(err)}`;
  return { features: null, prediction: null, driftUnavailable: reason, training: {} };
}
