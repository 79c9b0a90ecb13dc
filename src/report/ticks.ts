/** Axis ticks at round values. */

/**
 * Round tick values covering [lo, hi] in steps of 1, 2 or 5 × 10^k, about `count` of them.
 *
 * @param integer only whole-number steps (epochs, steps): never 1.5 epochs
 * @returns ascending ticks inside [lo, hi]; `[lo]` when the range is empty
 */
export function niceTicks(lo: number, hi: number, count = 5, integer = false): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (!(hi > lo)) return [lo];
  const step = niceStep((hi - lo) / Math.max(1, count), integer);
  const ticks: number[] = [];
  // toPrecision drops float noise such as 0.30000000000000004.
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/**
 * A domain widened outward to the nearest round ticks, so the axis starts and ends on a labelled
 * value.
 */
export function niceDomain(lo: number, hi: number, count = 5): [number, number] {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) * 0.1 || 0.5;
    return [lo - pad, hi + pad];
  }
  const step = niceStep((hi - lo) / Math.max(1, count), false);
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
}

/** The 1-2-5 step nearest (on a log scale) to the raw step, so the tick count stays near the ask. */
function niceStep(raw: number, integer: boolean): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const candidates = [1, 2, 5, 10].map((m) => m * mag);
  const step = candidates.reduce((best, s) => (Math.abs(Math.log(s / raw)) < Math.abs(Math.log(best / raw)) ? s : best));
  return integer ? Math.max(1, Math.round(step)) : step;
}

/** A tick label: short, without float noise, exponent form only for extreme values. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace('.0e', 'e');
  return String(Number(v.toPrecision(4)));
}
