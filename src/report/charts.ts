/** Which charts a run gets, and the series on them. */
import { confusionHeatmap } from './heatmap.js';
import { lineChart, type Series } from './line-chart.js';
import type { BestPoint } from '../training/trainer.js';
import type { ClassificationResults, TrainingHistoryPoint, TrainingStepPoint } from './types.js';

/**
 * What the loss and metric charts read of a fine-tuning run: both ClassificationResults and
 * TokenClassificationResults are one, so the two reports draw their learning curves with the same code.
 */
export interface LearningCurveInput {
  history: TrainingHistoryPoint[];
  steps?: TrainingStepPoint[];
  best: BestPoint | null;
}

/** At most this many points on the per-step loss line; longer runs are averaged in buckets. */
export const MAX_STEP_POINTS = 300;

const COLORS = {
  stepLoss: '#9ecae9',
  trainLoss: '#4c78a8',
  evalLoss: '#e45756',
  // A fourth colour for the token report, which can chart the best-model metric beside F1, precision and recall.
  metrics: ['#54a24b', '#f58518', '#b279a2', '#72b7b2'],
};

/**
 * The report's charts as SVG strings keyed by file name: `loss.svg` always, `metric.svg` when the
 * run was evaluated, `confusion_matrix.svg` when the final evaluation has a confusion matrix
 * (single-label classification).
 */
export function reportCharts(r: ClassificationResults): Record<string, string> {
  const charts: Record<string, string> = { 'loss.svg': lossChart(r) };
  const metric = metricChart(r, (available) => chartedMetrics(r, available));
  if (metric) charts['metric.svg'] = metric;
  const cm = r.final_eval?.confusion_matrix;
  if (cm?.length) charts['confusion_matrix.svg'] = confusionHeatmap(cm, r.final_eval?.labels ?? r.labels);
  const trials = trialsChart(r);
  if (trials) charts['autotune.svg'] = trials;
  return charts;
}

/** `--autotune`: each trial's best validation score by trial number, and the best so far. */
function trialsChart(r: ClassificationResults): string | undefined {
  const a = r.autotune;
  const scored = (a?.trials ?? []).filter((t) => t.score !== null);
  if (!a || !scored.length) return undefined;
  const greater = a.greater_is_better;
  let best = NaN;
  const running: [number, number][] = scored.map((t) => {
    best = Number.isNaN(best) || (greater ? t.score! > best : t.score! < best) ? t.score! : best;
    return [t.trial, best];
  });
  const series: Series[] = [
    { name: 'trial score', color: COLORS.trainLoss, dots: true, strokeWidth: 0.6, points: scored.map((t) => [t.trial, t.score!]) },
    { name: 'best so far', color: COLORS.metrics[0]!, dashed: true, points: running },
  ];
  const marker = a.best_trial !== null ? { marker: { x: a.best_trial, label: 'kept' } } : {};
  return lineChart(`Autotune: ${a.metric} by trial`, 'trial', a.metric, series, 560, 320, { integerX: true, ...marker });
}

/** Train loss per step (faint) and per evaluation, eval loss per evaluation; x = optimiser step. */
export function lossChart(r: LearningCurveInput): string {
  const series: Series[] = [];
  const steps = r.steps ?? [];
  if (steps.length > 1) {
    series.push({
      name: 'train loss (per step)',
      color: COLORS.stepLoss,
      strokeWidth: 1.2,
      points: bucketMean(
        steps.map((s) => [s.step, s.loss]),
        MAX_STEP_POINTS,
      ),
    });
  }
  series.push({
    name: steps.length > 1 ? 'train loss (mean)' : 'train loss',
    color: COLORS.trainLoss,
    dots: true,
    points: r.history.map((h) => [h.step, h.train_loss]),
  });
  const evaluated = r.history.filter((h) => typeof h.eval_loss === 'number');
  if (evaluated.length)
    series.push({ name: 'eval loss', color: COLORS.evalLoss, dots: true, dashed: true, points: evaluated.map((h) => [h.step, h.eval_loss!]) });
  const best = r.best?.step;
  return lineChart('Loss', 'optimiser step', 'loss', series, 560, 320, {
    integerX: true,
    ...(best !== undefined ? { marker: { x: best, label: 'best' } } : {}),
  });
}

/**
 * Validation metrics per evaluation, by epoch (or by step when several evaluations share an epoch),
 * with the best model marked; undefined when the run was never evaluated.
 *
 * @param pickMetrics which of the recorded metric names to draw, in legend order (the report's choice)
 */
export function metricChart(r: LearningCurveInput, pickMetrics: (available: string[]) => string[]): string | undefined {
  const evaluated = r.history.filter((h) => h.eval_metrics && Object.keys(h.eval_metrics).length);
  if (!evaluated.length) return undefined;
  const names = pickMetrics(Object.keys(evaluated[0]!.eval_metrics!));
  // Several evaluations per epoch (--eval-steps) share an epoch number: plot those by step.
  const byEpoch = new Set(evaluated.map((h) => h.epoch)).size === evaluated.length;
  const x = (h: (typeof evaluated)[number]) => (byEpoch ? h.epoch : h.step);
  const series: Series[] = names.map((name, i) => ({
    name,
    color: COLORS.metrics[i % COLORS.metrics.length]!,
    dots: true,
    points: evaluated.map((h) => [x(h), h.eval_metrics![name] ?? NaN]),
  }));
  const best = r.best && r.best.metric !== 'eval_loss' ? (byEpoch ? r.best.epoch : r.best.step) : undefined;
  return lineChart(
    byEpoch ? 'Validation metrics per epoch' : 'Validation metrics per evaluation',
    byEpoch ? 'epoch' : 'optimiser step',
    names.length === 1 ? names[0]! : 'score',
    series,
    560,
    320,
    { integerX: true, ...(best !== undefined ? { marker: { x: best, label: `best ${r.best!.metric}` } } : {}) },
  );
}

/**
 * The best-model metric first, then up to two usual companions when they share its scale (an
 * error such as mse next to a 0–1 score would flatten one of the lines).
 */
function chartedMetrics(r: ClassificationResults, available: string[]): string[] {
  const companions: Record<ClassificationResults['problem_type'], string[]> = {
    single_label_classification: ['accuracy', 'macro_f1'],
    multi_label_classification: ['micro_f1', 'macro_f1'],
    regression: ['pearson', 'spearman'],
  };
  const usual = companions[r.problem_type] ?? [];
  const main = r.best && r.best.metric !== 'eval_loss' && available.includes(r.best.metric) ? r.best.metric : undefined;
  const score = (m: string) => usual.includes(m) || (r.problem_type !== 'regression' && /accuracy|f1|precision|recall/.test(m));
  if (main && !score(main)) return [main];
  const picked = [...new Set([main, ...usual].filter((m): m is string => !!m && available.includes(m)))].slice(0, 3);
  return picked.length ? picked : available.slice(0, 1);
}

/**
 * Averages consecutive points in equal buckets so at most `max` remain (each at its bucket's last
 * x); fewer points come back unchanged.
 */
export function bucketMean(points: [number, number][], max: number): [number, number][] {
  const size = Math.ceil(points.length / max);
  if (size <= 1) return points;
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += size) {
    const chunk = points.slice(i, i + size);
    out.push([chunk[chunk.length - 1]![0], chunk.reduce((s, p) => s + p[1], 0) / chunk.length]);
  }
  return out;
}
