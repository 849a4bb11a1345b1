import { InvalidDataError } from '../errors.js';

/**
 * `roc_auc_score` for 0/1 labels: the Mann–Whitney statistic with average ranks for ties, which equals the
 * trapezoidal area under scikit-learn's ROC curve. Throws when only one class is present, as scikit-learn does.
 */
export function rocAuc(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = yTrue.length;
  if (scores.length !== n) throw new InvalidDataError(`inconsistent lengths: ${n} labels vs ${scores.length} scores`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (yTrue[order[k]!] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    throw new InvalidDataError('Only one class present in y_true. ROC AUC score is not defined in that case.');
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
