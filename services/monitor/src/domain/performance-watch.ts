import type { EventData, MonitorCheckpoint, MonitorWindowData } from '@mlops/contracts';
import type { Logger } from '@mlops/service-kit';
import { predictedIndex } from './class-labels.js';
import type { VersionReference } from './drift-report.js';
import type { StoredEpisode } from './episode-replay.js';
import type { LabelJoin } from './label-join.js';
import { livePerformance, type PerformanceRules } from './live-performance.js';
import type { MonitorAnnouncer, MonitorMetrics } from './ports.js';
import { versionKey } from './prediction-batch.js';

/** A version's live performance as a window, the gauges and `mlops monitor` show it. */
export type LivePerformance = MonitorWindowData['performance'];

/** Live performance is recomputed at most this often while its labels do not change (see {@link PerformanceWatch.of}). */
export const PERFORMANCE_REFRESH_MS = 5000;

/** What watching live performance needs from the monitor. */
export interface PerformanceWatchDeps {
  /** The predictions kept with their labels (the rows live performance is computed on). */
  readonly join: LabelJoin;
  /** MONITOR_PERFORMANCE_*: the metric, its threshold, the live window. */
  readonly rules: PerformanceRules;
  /** Where the episodes' events go. */
  readonly announce: Pick<MonitorAnnouncer, 'performanceDegraded' | 'performanceRecovered'>;
  /** The live-performance gauges. */
  readonly metrics: Pick<MonitorMetrics, 'performance' | 'replaced'>;
  readonly logger: Logger;
  /** The monitor's clock. */
  readonly now: () => number;
  /** Whether the champion alias is known to have left the version (its late labels change no gauge). */
  readonly isReplaced: (model: string, version: string) => boolean;
}

/**
 * Live performance per served version from its joined labels, and its episodes: `performance.degraded` when it falls
 * below the threshold, `performance.recovered` when it is back, or when the version is replaced (superseded).
 */
export class PerformanceWatch {
  private readonly cache = new Map<string, { at: number; labels: number; value: LivePerformance }>();
  /** The newest `performance.degraded` of each version (announced, or read back at start): a superseded episode's evidence. */
  private readonly degradedEvidence = new Map<string, EventData<'performance.degraded'>>();
  /** Versions whose degraded episode ended as superseded (announced, or read back at start): never shown degraded. */
  private readonly superseded = new Set<string>();

  constructor(private readonly deps: PerformanceWatchDeps) {}

  /** An episode event read back at start (after the last window): its evidence, or that it ended superseded. */
  remember(event: StoredEpisode): void {
    const key = versionKey(event.data.model, event.data.version);
    if (event.subject === 'performance.degraded') {
      this.degradedEvidence.set(key, event.data);
      this.superseded.delete(key);
    }
    if (event.subject === 'performance.recovered' && event.data.superseded_by !== undefined) this.superseded.add(key);
  }

  /**
   * Live performance of a version: recomputed when its labels changed, else at most every PERFORMANCE_REFRESH_MS
   * (predictions keep arriving; a full pass over the join for every window would cost more than the window), or
   * every `maxAgeMs` when given (a person asking; 0: the gauges' catch-up).
   */
  of(key: string, reference: VersionReference, maxAgeMs = PERFORMANCE_REFRESH_MS): LivePerformance {
    const now = this.deps.now();
    const labels = this.deps.join.labelCounts(key).joined;
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.labels === labels && now - cached.at < maxAgeMs) return cached.value;
    const rows = this.deps.join.rowsOf(key, now - this.deps.rules.windowMs);
    // The log holds the model's class values (2 and 5): scored as class indexes, like the labels.
    const classes = reference.inputs?.classes;
    const predicted = rows.predicted.map((value) => predictedIndex(value, classes));
    let value: LivePerformance;
    try {
      value = livePerformance({ ...rows, predicted }, reference.training, this.deps.rules);
    } catch (err) {
      // Nothing a label carries may stop windows, status or labels: the version is reported without live metrics.
      this.deps.logger.warn({ err, version: key }, 'live performance not computed');
      const none = { truth: [], probability: [], predicted: [], latencyMs: [] };
      value = livePerformance({ ...rows, ...none }, reference.training, this.deps.rules);
    }
    this.cache.set(key, { at: now, labels, value });
    return value;
  }

  /** The performance as shown: a replaced or superseded version's episode ended, so it is never shown degraded. */
  shown(model: string, version: string, live: LivePerformance): LivePerformance {
    const closed = this.deps.isReplaced(model, version) || this.superseded.has(versionKey(model, version));
    return closed ? { ...live, degraded: false } : live;
  }

  /** Sets a version's gauges from a fresh pass, as a window would. */
  show(model: string, version: string, reference: VersionReference): void {
    const key = versionKey(model, version);
    this.deps.metrics.performance(key, this.shown(model, version, this.of(key, reference, 0)));
  }

  /**
   * Shows `live` on the gauges and announces the change of episode it makes (degraded, or recovered); a replaced
   * version's late labels open no episode and raise no gauge (its episode ended when it was replaced).
   */
  async announce(model: string, version: string, live: LivePerformance, checkpoint: MonitorCheckpoint): Promise<void> {
    const key = versionKey(model, version);
    if (this.deps.isReplaced(model, version)) {
      this.deps.metrics.performance(key, { ...live, degraded: false });
      this.deps.metrics.replaced(key);
      return;
    }
    this.deps.metrics.performance(key, live);
    if (live.degraded === checkpoint.degraded || live.training === null) return;
    const { metric, threshold } = this.deps.rules;
    const liveValue = live[metric];
    if (liveValue === null) return;
    const episode = live.degraded ? checkpoint.performance_episodes + 1 : checkpoint.performance_episodes;
    const data = {
      model,
      version,
      metric,
      live: liveValue,
      training: live.training.value,
      threshold,
      labelled: live.labelled,
      episode: Math.max(1, episode),
      at: new Date(this.deps.now()).toISOString(),
    };
    if (live.degraded) {
      await this.deps.announce.performanceDegraded(data);
      this.degradedEvidence.set(key, data);
      this.superseded.delete(key);
    } else await this.deps.announce.performanceRecovered(data);
    checkpoint.degraded = live.degraded;
    checkpoint.performance_episodes = Math.max(1, episode);
  }

  /** Ends a replaced version's degraded episode as superseded: `performance.recovered` naming the new champion. */
  async endAsSuperseded(
    model: string,
    version: string,
    supersededBy: string,
    reference: VersionReference,
    checkpoint: MonitorCheckpoint,
  ): Promise<void> {
    const key = versionKey(model, version);
    const live = this.of(key, reference);
    const { metric, threshold } = this.deps.rules;
    const liveValue = live[metric];
    // Labels older than the live window leave no live value: the episode's own degraded evidence closes it then.
    const evidence = this.degradedEvidence.get(key);
    this.degradedEvidence.delete(key); // the episode ends here; a replaced version opens no other
    const closing =
      liveValue !== null && live.training !== null
        ? { metric, live: liveValue, training: live.training.value, threshold, labelled: live.labelled }
        : evidence === undefined
          ? undefined
          : {
              metric: evidence.metric,
              live: evidence.live,
              training: evidence.training,
              threshold: evidence.threshold,
              labelled: evidence.labelled,
            };
    if (closing !== undefined) {
      await this.deps.announce.performanceRecovered({
        model,
        version,
        ...closing,
        episode: Math.max(1, checkpoint.performance_episodes),
        superseded_by: supersededBy,
        at: new Date(this.deps.now()).toISOString(),
      });
    }
    checkpoint.degraded = false;
    this.superseded.add(key);
  }
}
