import type { ClassificationReport, ClassScores } from './types.js';
import { mean, precisionRecallF1, safeRatio } from './ratio.js';
import { checkClassIndices, checkLabelNames, checkPairedLength } from './validate.js';

/**
 * Builds the counts matrix: `m[t][p]` = examples of true class t predicted as p. Callers have
 * already checked that every index is in range.
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]!++;
  return m;
}

/**
 * Matthews correlation coefficient of a confusion matrix, multi-class form (Gorodkin 2004), as
 * scikit-learn's `matthews_corrcoef`:
 *   (c·s − Σ_k p_k·t_k) / sqrt((s² − Σ_k p_k²)·(s² − Σ_k t_k²))
 * with c = correct predictions, s = examples, p_k / t_k = times class k was predicted / true.
 * Returns 0 when the denominator is 0 (all predictions, or all true labels, one class).
 */
export function matthewsCorrcoef(matrix: readonly (readonly number[])[]): number {
  const k = matrix.length;
  const trueCounts = new Array<number>(k).fill(0);
  const predCounts = new Array<number>(k).fill(0);
  let correct = 0;
  let total = 0;
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      const n = matrix[t]![p]!;
      trueCounts[t]! += n;
      predCounts[p]! += n;
      total += n;
      if (t === p) correct += n;
    }
  }
  let predTrue = 0;
  let predSq = 0;
  let trueSq = 0;
  for (let c = 0; c < k; c++) {
    predTrue += predCounts[c]! * trueCounts[c]!;
    predSq += predCounts[c]! ** 2;
    trueSq += trueCounts[c]! ** 2;
  }
  const covPredPred = total * total - predSq;
  const covTrueTrue = total * total - trueSq;
  if (covPredPred === 0 || covTrueTrue === 0) return 0;
  // One square root of the product (as sklearn): a perfect prediction then gives exactly 1.
  const mcc = (correct * total - predTrue) / Math.sqrt(covPredPred * covTrueTrue);
  // Rounding can push a perfect score a hair past ±1.
  return Math.max(-1, Math.min(1, mcc));
}

/**
 * Metrics for single-label classification.
 *
 * @param yTrue  true class index per example (0-based, into `labels`)
 * @param yPred  predicted class index per example
 * @param labels class names; every class is scored, including ones absent from both sides, so
 *               macro averages run over all `labels.length` classes (scikit-learn with `labels=`).
 * @returns accuracy, macro/micro/weighted F1, macro precision/recall, MCC, per-class scores and
 *          the confusion matrix (rows = true, columns = predicted). Undefined ratios are 0.
 * @throws BertftError when lengths differ, there are no examples, or an index is out of range.
 */
export function classificationReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, labels: readonly string[]): ClassificationReport {
  const what = 'classification metrics';
  checkPairedLength(what, yTrue, yPred);
  checkLabelNames(what, labels);
  checkClassIndices(what, 'yTrue', yTrue, labels.length);
  checkClassIndices(what, 'yPred', yPred, labels.length);

  const matrix = confusionMatrix(yTrue, yPred, labels.length);
  const total = yTrue.length;
  let correct = 0;
  const perClass: ClassScores[] = labels.map((label, k) => {
    const tp = matrix[k]![k]!;
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < labels.length; j++) {
      support += matrix[k]![j]!;
      predicted += matrix[j]![k]!;
    }
    correct += tp;
    return { label, ...precisionRecallF1(tp, predicted - tp, support - tp), support };
  });

  // Micro averaging pools the counts: with one label per example, Σfp = Σfn = wrong predictions.
  const wrong = total - correct;
  const micro = precisionRecallF1(correct, wrong, wrong);
  let weightedF1 = 0;
  for (const c of perClass) weightedF1 += c.f1 * c.support;

  return {
    problem_type: 'single_label_classification',
    accuracy: correct / total,
    macro_f1: mean(perClass.map((c) => c.f1)),
    micro_f1: micro.f1,
    weighted_f1: safeRatio(weightedF1, total),
    macro_precision: mean(perClass.map((c) => c.precision)),
    macro_recall: mean(perClass.map((c) => c.recall)),
    mcc: matthewsCorrcoef(matrix),
    per_class: perClass,
    confusion_matrix: matrix,
    labels: [...labels],
    support: total,
  };
}
