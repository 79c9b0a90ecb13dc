/**
 * Pearson and Spearman correlation. Both return 0 (not NaN) when either side is constant, because
 * the correlation is undefined there and NaN would break early stopping and JSON output.
 */

/** Whether every value equals the first (an empty series counts as constant). */
export function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

/** Pearson's r of two equally long, non-empty series; 0 when either is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  // Checked exactly: the mean of equal floats can differ from them by rounding (3 × 0.1 / 3 ≠ 0.1),
  // which leaves tiny deviations and a noise value like 1e-16 instead of the documented 0.
  if (isConstant(x) || isConstant(y)) return 0;
  const n = x.length;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i]!;
    meanY += y[i]!;
  }
  meanX /= n;
  meanY /= n;
  // Centre first (two passes): the one-pass Σxy − n·x̄·ȳ form loses precision for large offsets.
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - meanX;
    const dy = y[i]! - meanY;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return 0; // deviations so small their squares underflow
  const r = sxy / (Math.sqrt(sxx) * Math.sqrt(syy));
  return Math.max(-1, Math.min(1, r));
}

/**
 * 1-based ranks with ties given the average of the positions they span (e.g. values [10, 20, 20, 30]
 * get ranks [1, 2.5, 2.5, 4]), as scipy's `rankdata(method='average')`.
 */
export function averageRanks(values: ArrayLike<number>): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    // Positions start..end-1 (0-based) are tied: their 1-based ranks average to (start+1 + end) / 2.
    const rank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) ranks[order[i]!] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman's ρ: Pearson's r of the average ranks; 0 when either side is constant. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(averageRanks(x), averageRanks(y));
}
