import type { GateRules, SelectionMetric } from '@mlops/contracts';
import { greaterIsBetter, MAX_HOLDOUT_CELLS, MAX_STORED_HOLDOUT_CELLS } from '@mlops/contracts';
import {
  accuracy,
  f1,
  InvalidDataError,
  logLoss,
  mcnemarTest,
  pairedBootstrap,
  precision,
  type RowMetric,
  recall,
  rocAuc,
} from '@mlops/ml';

/** One model as the gate sees it: its version, its features (in order) and its probabilities on the holdout. */
export interface GateModel {
  readonly version: string;
  readonly featureNames: readonly string[];
  /** The target's own labels of classes 0 and 1 (table models), when the model records them. */
  readonly classLabels?: readonly [string | number, string | number] | undefined;
  /** P(class 1) for each holdout row; undefined when the model cannot be scored on these rows. */
  readonly probabilities: Float64Array | undefined;
}

/** The rows both models are judged on: the new tuning's holdout, labels 0/1. */
export interface Holdout {
  readonly featureNames: readonly string[];
  readonly y: Float64Array;
  /** The rows of the whole test split, when the holdout is only its first rows (a wide table's was cut). */
  readonly testRows?: number | undefined;
  /** True when the rows are the stored holdout's (cut only past MAX_STORED_HOLDOUT_CELLS), not the event's. */
  readonly stored?: boolean | undefined;
}

/** The gate's decision and the evidence behind it, recorded on the version, the parent run and the event. */
export interface GateVerdict {
  readonly status: 'promoted' | 'rejected';
  readonly reason: string;
  readonly metric: SelectionMetric;
  readonly championVersion: string | null;
  readonly championValue: number | null;
  readonly challengerValue: number | null;
  /** challenger − champion (raw, not oriented). */
  readonly difference: number | null;
  /** Paired bootstrap interval of the difference, always computed when both models could be scored. */
  readonly interval: { readonly low: number; readonly high: number; readonly alpha: number } | null;
  /** McNemar's exact p-value on the holdout's accuracy, always computed when both could be scored. */
  readonly pValue: number | null;
  readonly rules: GateRules;
}

const LABEL_METRICS: Record<Exclude<SelectionMetric, 'roc_auc' | 'log_loss'>, typeof accuracy> = {
  accuracy,
  precision,
  recall,
  f1,
};

/** The selection metric on (labels, probabilities): label metrics threshold P(class 1) > 0.5, as predict() does. */
export function rowMetric(metric: SelectionMetric): RowMetric {
  if (metric === 'roc_auc') return rocAuc;
  if (metric === 'log_loss') return logLoss;
  const score = LABEL_METRICS[metric];
  return (y, p) => score(y, labelsOf(p));
}

/**
 * Decides whether the challenger replaces the champion. No champion → promoted. A champion whose features differ
 * (or that cannot be scored) → rejected as "signature differs", unless the rules say promote. Otherwise both are
 * scored on the same rows; the challenger must be strictly better, by min_absolute_change and min_relative_change,
 * reach the threshold, and pass the significance test when one is asked for. Equal is not better.
 */
export function judge(
  rules: GateRules,
  holdout: Holdout,
  challenger: GateModel,
  champion: GateModel | null,
): GateVerdict {
  const verdict = decide(rules, holdout, challenger, champion);
  const note = verdict.challengerValue === null ? '' : cutNote(holdout);
  return note === '' ? verdict : { ...verdict, reason: `${verdict.reason}${note}` };
}

function decide(rules: GateRules, holdout: Holdout, challenger: GateModel, champion: GateModel | null): GateVerdict {
  const base = { metric: rules.metric, rules, interval: null, pValue: null } as const;
  const blank = { championValue: null, challengerValue: null, difference: null } as const;
  if (champion === null) {
    return unopposed(rules, holdout, challenger, { promoted: 'first champion', held: 'first champion' }, null);
  }
  if (holdout.y.length === 0) {
    const reason = `no holdout rows came with the tuning (its trainer could not build them: see its log), so it cannot be compared with champion v${champion.version}: not promoted`;
    return { ...base, ...blank, status: 'rejected', reason, championVersion: champion.version };
  }
  const signatureProblem = signatureDiffers(holdout, challenger, champion);
  if (signatureProblem !== undefined) {
    const reason = `signature differs: ${signatureProblem}`;
    if (rules.on_signature_change === 'promote') {
      const reasons = {
        promoted: `${reason}; promoted as the request asked`,
        held: `${reason}; the request lets it through`,
      };
      return unopposed(rules, holdout, challenger, reasons, champion.version);
    }
    return { ...base, ...blank, status: 'rejected', reason, championVersion: champion.version };
  }
  return compare(rules, holdout.y, challenger as Scored, champion as Scored);
}

/** Where the holdout is only the first rows of the test split, says on how many the models were judged. */
function cutNote(holdout: Holdout): string {
  const all = holdout.testRows;
  const judged = holdout.y.length;
  if (all === undefined || all <= judged) return '';
  const cells = (count: number) => count.toLocaleString('en-US');
  const cap = holdout.stored
    ? `the stored holdout stops at ${cells(MAX_STORED_HOLDOUT_CELLS)} cells or 40 MB of JSON`
    : `the event carries at most ${cells(MAX_HOLDOUT_CELLS)} cells (a table 400 KB), and no whole holdout could be read`;
  return ` (judged on the first ${judged} of ${all} test rows: ${cap})`;
}

/**
 * A challenger promoted without a comparison (no champion yet, or a new signature the request lets through) still
 * has to reach the threshold, the absolute floor: below it nothing is promoted, even with no champion at all.
 */
function unopposed(
  rules: GateRules,
  holdout: Holdout,
  challenger: GateModel,
  reasons: { readonly promoted: string; readonly held: string },
  championVersion: string | null,
): GateVerdict {
  const reason = reasons.promoted;
  const verdict = { metric: rules.metric, rules, interval: null, pValue: null, championVersion } as const;
  const unscored = { championValue: null, challengerValue: null, difference: null } as const;
  if (rules.threshold === null) return { ...verdict, ...unscored, status: 'promoted', reason };
  const value = challengerValue(rules, holdout, challenger);
  const scored = { ...unscored, challengerValue: typeof value === 'number' ? value : null };
  if (typeof value === 'string') {
    return { ...verdict, ...scored, status: 'rejected', reason: `${reasons.held}, but ${value}: not promoted` };
  }
  const sign = greaterIsBetter(rules.metric) ? 1 : -1;
  if (sign * (value - rules.threshold) >= 0) {
    return {
      ...verdict,
      ...scored,
      status: 'promoted',
      reason: `${reason} (${rules.metric} ${fmt(value)} reaches the threshold ${rules.threshold})`,
    };
  }
  const below = `${rules.metric} ${fmt(value)} does not reach the threshold ${rules.threshold}`;
  return { ...verdict, ...scored, status: 'rejected', reason: `${reasons.held}, but ${below}: not promoted` };
}

/** The challenger's metric on the holdout, or why it cannot be had. */
function challengerValue(rules: GateRules, holdout: Holdout, challenger: GateModel): number | string {
  if (challenger.probabilities === undefined) return 'it cannot be scored on the holdout to check the threshold';
  try {
    return rowMetric(rules.metric)(holdout.y, challenger.probabilities);
  } catch (err) {
    if (!(err instanceof InvalidDataError)) throw err;
    return `${rules.metric} is undefined on the holdout rows (${err.message}), so the threshold cannot be checked`;
  }
}

type Scored = GateModel & { readonly probabilities: Float64Array };

function compare(rules: GateRules, y: Float64Array, challenger: Scored, champion: Scored): GateVerdict {
  const metric = rowMetric(rules.metric);
  let championValue: number;
  let challengerValue: number;
  try {
    championValue = metric(y, champion.probabilities);
    challengerValue = metric(y, challenger.probabilities);
  } catch (err) {
    if (!(err instanceof InvalidDataError)) throw err;
    const reason = `${rules.metric} is undefined on the holdout rows (${err.message}): the champion stays`;
    const blank = { championValue: null, challengerValue: null, difference: null, interval: null, pValue: null };
    return { ...blank, metric: rules.metric, rules, championVersion: champion.version, status: 'rejected', reason };
  }
  const difference = challengerValue - championValue;
  const interval = bootstrapInterval(rules, y, champion.probabilities, challenger.probabilities, metric);
  const test = mcnemarTest(y, labelsOf(champion.probabilities), labelsOf(challenger.probabilities));
  const evidence = { championValue, challengerValue, difference, interval, pValue: test.pValue };
  const failure = firstFailure(rules, evidence, test.candidateOnly > test.baselineOnly);
  const summary = `${rules.metric} ${fmt(challengerValue)} vs champion v${champion.version} ${fmt(championValue)}`;
  return {
    metric: rules.metric,
    rules,
    championVersion: champion.version,
    ...evidence,
    status: failure === undefined ? 'promoted' : 'rejected',
    reason: failure === undefined ? `${summary}: better` : `${summary}: ${failure}`,
  };
}

interface Evidence {
  readonly championValue: number;
  readonly challengerValue: number;
  readonly difference: number;
  readonly interval: GateVerdict['interval'];
  readonly pValue: number;
}

/** The first rule the challenger breaks, as a phrase; undefined when it passes them all. */
function firstFailure(rules: GateRules, e: Evidence, mcnemarFavoursChallenger: boolean): string | undefined {
  const sign = greaterIsBetter(rules.metric) ? 1 : -1;
  const improvement = sign * e.difference;
  if (!(improvement > 0)) return improvement === 0 ? 'not better (equal)' : 'worse';
  if (improvement < rules.min_absolute_change) {
    return `improvement ${fmt(improvement)} is below min_absolute_change ${rules.min_absolute_change}`;
  }
  const relativeFloor = rules.min_relative_change * Math.abs(e.championValue);
  if (rules.min_relative_change > 0 && improvement < relativeFloor) {
    return `improvement ${fmt(improvement)} is below min_relative_change ${rules.min_relative_change} of the champion's value`;
  }
  if (rules.threshold !== null && sign * (e.challengerValue - rules.threshold) < 0) {
    return `${fmt(e.challengerValue)} does not reach the threshold ${rules.threshold}`;
  }
  if (rules.significance === 'bootstrap') {
    if (e.interval === null) return 'not significant: no bootstrap interval (the metric is undefined on the resamples)';
    const low = Math.min(sign * e.interval.low, sign * e.interval.high);
    if (!(low > 0))
      return `not significant: the ${pct(rules.alpha)} interval [${fmt(e.interval.low)}, ${fmt(e.interval.high)}] contains 0`;
  }
  if (rules.significance === 'mcnemar' && !(e.pValue < rules.alpha && mcnemarFavoursChallenger)) {
    return `not significant: McNemar p = ${fmt(e.pValue)} (alpha ${rules.alpha})`;
  }
  return undefined;
}

function bootstrapInterval(
  rules: GateRules,
  y: Float64Array,
  champion: Float64Array,
  challenger: Float64Array,
  metric: RowMetric,
): GateVerdict['interval'] {
  try {
    const result = pairedBootstrap({
      yTrue: y,
      baseline: champion,
      candidate: challenger,
      metric,
      resamples: rules.bootstrap_resamples,
      randomState: rules.random_state,
      alpha: rules.alpha,
    });
    return { low: result.low, high: result.high, alpha: rules.alpha };
  } catch {
    return null; // e.g. ROC AUC on a holdout with one class: no interval, so 'bootstrap' cannot be passed
  }
}

function signatureDiffers(holdout: Holdout, challenger: GateModel, champion: GateModel): string | undefined {
  const expected = holdout.featureNames;
  if (champion.featureNames.length !== expected.length) {
    return `champion v${champion.version} takes ${inputs(champion.featureNames)}, the new rows have ${inputs(expected)}`;
  }
  const unknown = champion.featureNames.findIndex((name) => !expected.includes(name));
  if (unknown >= 0) {
    return `champion v${champion.version} feature ${unknown} is ${JSON.stringify(champion.featureNames[unknown])}, the new rows have ${JSON.stringify(expected[unknown])}`;
  }
  const [ours, theirs] = [challenger.classLabels, champion.classLabels];
  if (ours !== undefined && theirs !== undefined && (ours[0] !== theirs[0] || ours[1] !== theirs[1])) {
    return `champion v${champion.version} predicts ${JSON.stringify(theirs)}, the new model ${JSON.stringify(ours)}`;
  }
  if (champion.probabilities === undefined) return `champion v${champion.version} cannot be scored on the new rows`;
  if (challenger.probabilities === undefined) return 'the challenger cannot be scored on its own rows';
  return undefined;
}

/** "3 inputs (a, b, c)", or the first three names and "…" for more. */
function inputs(names: readonly string[]): string {
  const shown = names.slice(0, 3).map((n) => JSON.stringify(n));
  return `${names.length} inputs (${shown.join(', ')}${names.length > 3 ? ', …' : ''})`;
}

function labelsOf(probabilities: ArrayLike<number>): Float64Array {
  return Float64Array.from(probabilities, (p) => (p > 0.5 ? 1 : 0));
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/0+$/, '').replace(/\.$/, '');
}

function pct(alpha: number): string {
  return `${Math.round((1 - alpha) * 1000) / 10} %`;
}
