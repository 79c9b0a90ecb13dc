import type { RegressionReport } from './types.js';
import { isConstant, pearson, spearman } from './correlation.js';
import { checkFinite, checkPairedLength } from './validate.js';

/**
 * Coefficient of determination 1 − SS_res / SS_tot. When the targets are constant (SS_tot = 0) the
 * ratio is undefined; like scikit-learn's `r2_score` (force_finite) it is 1 for exact predictions
 * and 0 otherwise.
 */
export function rSquared(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const n = yTrue.length;
  // Checked exactly, as in pearson(): rounding in the mean would make SS_tot ~1e-33 instead of 0
  // and R² a huge negative number.
  if (isConstant(yTrue)) return exactlyEqual(yTrue, yPred) ? 1 : 0;
  let meanTrue = 0;
  for (let i = 0; i < n; i++) meanTrue += yTrue[i]!;
  meanTrue /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (yTrue[i]! - yPred[i]!) ** 2;
    ssTot += (yTrue[i]! - meanTrue) ** 2;
  }
  return 1 - ssRes / ssTot;
}

function exactlyEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Metrics for regression (one real-valued target per example).
 *
 * @param yTrue true values
 * @param yPred predicted values
 * @returns MSE, RMSE, MAE, Pearson, Spearman (average ranks for ties) and R². Correlations are 0
 *          when either side is constant; see {@link rSquared} for constant targets.
 * @throws BertftError when lengths differ, there are no examples, or a value is not finite.
 */
export function regressionReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionReport {
  const what = 'regression metrics';
  checkPairedLength(what, yTrue, yPred);
  checkFinite(what, 'yTrue', yTrue);
  checkFinite(what, 'yPred', yPred);

  const n = yTrue.length;
  let squared = 0;
  let absolute = 0;
  for (let i = 0; i < n; i++) {
    const err = yPred[i]! - yTrue[i]!;
    squared += err * err;
    absolute += Math.abs(err);
  }
  const mse = squared / n;
  return {
    problem_type: 'regression',
    mse,
    rmse: Math.sqrt(mse),
    mae: absolute / n,
    pearson: pearson(yTrue, yPred),
    spearman: spearman(yTrue, yPred),
    r2: rSquared(yTrue, yPred),
    support: n,
  };
}
