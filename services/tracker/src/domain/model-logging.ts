import { greaterIsBetter, type SelectionMetric } from '@mlops/contracts';

interface Scored {
  readonly trialId: string;
  readonly score: number;
}

/**
 * Tells which trials of `log_models: "top_k"` tunings are already out of the race for a model when they finish: a
 * trial is admitted when its selection value is at least as good as the k-th best of the other trials seen so far in
 * its tuning (ties included). Every trial of the final top k is admitted, whatever the order, so one not admitted can
 * be tagged as skipped for good; a redelivered trial is judged again the same way; after a restart the tracker
 * starts from nothing and only admits more. Remembers the latest 100 tunings.
 */
export class TopTrials {
  private readonly tunings = new Map<string, Scored[]>();

  /** Whether the trial may be among the final best k, recording its value. A missing value qualifies only while fewer than k are kept. */
  admit(tuningId: string, trialId: string, k: number, metric: SelectionMetric, value: number | undefined): boolean {
    const kept = (this.tunings.get(tuningId) ?? []).filter((s) => s.trialId !== trialId);
    this.tunings.delete(tuningId);
    this.tunings.set(tuningId, kept);
    if (this.tunings.size > 100) this.tunings.delete(this.tunings.keys().next().value as string);
    if (value === undefined || !Number.isFinite(value)) return kept.length < k;
    const score = (greaterIsBetter(metric) ? 1 : -1) * value;
    if (kept.length >= k && score < kept[k - 1]!.score) return false;
    kept.push({ trialId, score });
    kept.sort((a, b) => b.score - a.score);
    if (kept.length > k) kept.length = k;
    return true;
  }
}
