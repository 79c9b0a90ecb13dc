import type { ClassScores, MultiLabelReport } from './types.js';
import { mean, precisionRecallF1 } from './ratio.js';
import { checkBinaryRows, checkLabelNames, checkPairedLength } from './validate.js';

/**
 * Metrics for multi-label classification, where each example has any subset of the labels.
 * Predictions must already be thresholded to 0/1.
 *
 * @param yTrue  per example, one 0/1 entry per label (1 = the example has that label)
 * @param yPred  per example, one 0/1 entry per label (1 = predicted)
 * @param labels label names, in column order
 * @returns micro/macro F1, micro precision/recall, subset accuracy, Hamming loss and per-label
 *          scores (support = examples that truly have the label). Undefined ratios are 0.
 * @throws BertftError when shapes differ, there are no examples, or an entry is not 0/1.
 */
export function multiLabelReport(yTrue: ArrayLike<ArrayLike<number>>, yPred: ArrayLike<ArrayLike<number>>, labels: readonly string[]): MultiLabelReport {
  const what = 'multi-label metrics';
  checkPairedLength(what, yTrue, yPred);
  checkLabelNames(what, labels);
  checkBinaryRows(what, 'yTrue', yTrue, labels.length);
  checkBinaryRows(what, 'yPred', yPred, labels.length);

  const width = labels.length;
  const tp = new Array<number>(width).fill(0);
  const fp = new Array<number>(width).fill(0);
  const fn = new Array<number>(width).fill(0);
  let exactRows = 0;
  let wrongCells = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    let rowWrong = 0;
    for (let j = 0; j < width; j++) {
      if (t[j] === 1 && p[j] === 1) tp[j]!++;
      else if (p[j] === 1) fp[j]!++;
      else if (t[j] === 1) fn[j]!++;
      if (t[j] !== p[j]) rowWrong++;
    }
    if (rowWrong === 0) exactRows++;
    wrongCells += rowWrong;
  }

  const perClass: ClassScores[] = labels.map((label, j) => ({
    label,
    ...precisionRecallF1(tp[j]!, fp[j]!, fn[j]!),
    support: tp[j]! + fn[j]!,
  }));
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const micro = precisionRecallF1(sum(tp), sum(fp), sum(fn));

  return {
    problem_type: 'multi_label_classification',
    micro_f1: micro.f1,
    macro_f1: mean(perClass.map((c) => c.f1)),
    micro_precision: micro.precision,
    micro_recall: micro.recall,
    subset_accuracy: exactRows / yTrue.length,
    hamming_loss: wrongCells / (yTrue.length * width),
    per_class: perClass,
    labels: [...labels],
    support: yTrue.length,
  };
}
