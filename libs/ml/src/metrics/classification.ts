import { InvalidDataError } from '../errors.js';
import { rocAuc } from './ranking.js';

/** Binary confusion counts with scikit-learn's layout `[[tn, fp], [fn, tp]]` for labels [0, 1]. */
export interface ConfusionMatrix {
  readonly tn: number;
  readonly fp: number;
  readonly fn: number;
  readonly tp: number;
  /** `[[tn, fp], [fn, tp]]`, rows = true label, columns = predicted label. */
  readonly matrix: readonly [readonly [number, number], readonly [number, number]];
}

/** Every metric the trainer reports for a binary classifier on a held-out set. */
export interface BinaryClassificationReport {
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** `null` when the true labels hold a single class (scikit-learn raises there). */
  readonly rocAuc: number | null;
  readonly logLoss: number;
  readonly confusion: ConfusionMatrix;
}

/** `accuracy_score`: the fraction of exact matches. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkSameLength(yTrue, yPred);
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

/** `confusion_matrix(labels=[0, 1])` for 0/1 labels. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): ConfusionMatrix {
  checkSameLength(yTrue, yPred);
  let tn = 0;
  let fp = 0;
  let fn = 0;
  let tp = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = checkBinary(yTrue[i]!, 'y_true');
    const p = checkBinary(yPred[i]!, 'y_pred');
    if (t === 1) p === 1 ? tp++ : fn++;
    else p === 1 ? fp++ : tn++;
  }
  return {
    tn,
    fp,
    fn,
    tp,
    matrix: [
      [tn, fp],
      [fn, tp],
    ],
  };
}

/** `precision_score(pos_label=1, zero_division=0)`: tp / (tp + fp), 0 when nothing was predicted positive. */
export function precision(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const { tp, fp } = confusionMatrix(yTrue, yPred);
  return tp + fp === 0 ? 0 : tp / (tp + fp);
}

/** `recall_score(pos_label=1, zero_division=0)`: tp / (tp + fn), 0 when there is no positive sample. */
export function recall(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const { tp, fn } = confusionMatrix(yTrue, yPred);
  return tp + fn === 0 ? 0 : tp / (tp + fn);
}

/** `f1_score(pos_label=1, zero_division=0)`: 2tp / (2tp + fp + fn). */
export function f1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const { tp, fp, fn } = confusionMatrix(yTrue, yPred);
  return 2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** `log_loss` on P(class 1): clips to [eps, 1 - eps] with float64 eps as scikit-learn >= 1.5 does. */
export function logLoss(yTrue: ArrayLike<number>, probaPositive: ArrayLike<number>): number {
  checkSameLength(yTrue, probaPositive);
  const eps = Number.EPSILON;
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const p1 = probaPositive[i]!;
    if (!(p1 >= 0 && p1 <= 1)) throw new InvalidDataError(`probability at row ${i} is ${p1}, not in [0, 1]`);
    const p = checkBinary(yTrue[i]!, 'y_true') === 1 ? p1 : 1 - p1;
    sum += -Math.log(Math.min(Math.max(p, eps), 1 - eps));
  }
  return sum / yTrue.length;
}

/** Every binary metric at once, from hard predictions and P(class 1). */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  probaPositive: ArrayLike<number>,
): BinaryClassificationReport {
  const confusion = confusionMatrix(yTrue, yPred);
  const { tp, fp, fn, tn } = confusion;
  return {
    accuracy: (tp + tn) / yTrue.length,
    precision: tp + fp === 0 ? 0 : tp / (tp + fp),
    recall: tp + fn === 0 ? 0 : tp / (tp + fn),
    f1: 2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn),
    rocAuc: tp + fn === 0 || tn + fp === 0 ? null : rocAuc(yTrue, probaPositive),
    logLoss: logLoss(yTrue, probaPositive),
    confusion,
  };
}

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new InvalidDataError(`inconsistent lengths: ${a.length} labels vs ${b.length}`);
  if (a.length === 0) throw new InvalidDataError('metrics need at least one sample');
}

function checkBinary(label: number, name: string): 0 | 1 {
  if (label === 0 || label === 1) return label;
  throw new InvalidDataError(`${name} must hold 0/1 labels, found ${label}`);
}
