/**
 * `numerator / denominator`, or 0 when the denominator is 0: scikit-learn's `zero_division=0`
 * convention (a class never predicted has precision 0, a class never present has recall 0).
 */
export function safeRatio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/** Arithmetic mean; callers guarantee a non-empty list. */
export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * Precision, recall and F1 from counts. F1 is computed as 2·tp / (2·tp + fp + fn) rather than from
 * P and R, so it is exactly 0 (not NaN) whenever tp = 0, matching scikit-learn.
 */
export function precisionRecallF1(tp: number, fp: number, fn: number): { precision: number; recall: number; f1: number } {
  return {
    precision: safeRatio(tp, tp + fp),
    recall: safeRatio(tp, tp + fn),
    f1: safeRatio(2 * tp, 2 * tp + fp + fn),
  };
}
