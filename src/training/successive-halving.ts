/**
 * The bookkeeping of `--autotune`'s asynchronous successive halving: the metric trials are ranked
 * by (fixed at the search's first evaluation), the scores recorded at each rung, and whether a
 * trial's best score so far keeps it in the top 1/eta there.
 */
import { metricGreaterIsBetter, resolveMetricName } from '../metrics/index.js';
import type { MetricProblem } from '../metrics/select.js';
import type { HistoryEntry } from './trainer.js';

/**
 * Successive halving's rule at one rung: go on when `score` is at least the ⌈n/eta⌉-th best of the
 * n scores recorded there (this one included). The first trial at a rung always goes on.
 */
export function survives(score: number, earlier: readonly number[], eta: number, greaterIsBetter: boolean): boolean {
  const all = [...earlier, score].sort((a, b) => (greaterIsBetter ? b - a : a - b));
  const cut = all[Math.ceil(all.length / eta) - 1]!;
  return greaterIsBetter ? score >= cut : score <= cut;
}

/**
 * Where a trial is ranked: at the fractions 1/eta^(rungs-1), …, 1/eta of its optimiser steps (the
 * last rung, the end of the run, ranks nothing). With eta 3 and 3 rungs: 1/9 and 1/3.
 */
export function rungFractions(eta: number, rungs: number): number[] {
  return Array.from({ length: rungs - 1 }, (_, r) => 1 / eta ** (rungs - 1 - r));
}

/** The rungs of a search and the scores recorded at each, across trials. */
export class SuccessiveHalving {
  /** The metric trials are ranked by; empty until the search's first evaluation. */
  metric = '';
  greaterIsBetter = true;
  private readonly scores: number[][];

  constructor(
    /** The step fractions of the rungs that rank (rungFractions). */
    readonly rungAt: readonly number[],
    readonly eta: number,
    /** --metric-for-best-model, when given. */
    private readonly wanted: string | undefined,
  ) {
    this.scores = rungAt.map(() => []);
  }

  better(a: number, b: number): boolean {
    return this.greaterIsBetter ? a > b : a < b;
  }

  /** An evaluation's score by the search's metric (chosen at the first evaluation); undefined when it lacks it. */
  score(entry: HistoryEntry): number | undefined {
    if (!this.metric) {
      this.metric = metricName(entry, this.wanted);
      this.greaterIsBetter = this.metric === 'eval_loss' ? false : metricGreaterIsBetter(this.metric);
    }
    return this.metric === 'eval_loss' ? entry.eval_loss : entry.eval_metrics?.[this.metric];
  }

  /**
   * Records a trial's best score so far at every rung its step fraction is at or past and has not
   * yet been recorded (one evaluation can pass several: a 3-epoch run evaluated once an epoch
   * passes 1/9 and 1/3 at its first), appending to `trialRungScores`. False when the trial falls
   * out of the top 1/eta at one of them.
   */
  passRungs(trialRungScores: number[], trialBest: number, fraction: number): boolean {
    let keep = true;
    for (let rung = trialRungScores.length; rung < this.rungAt.length && fraction >= this.rungAt[rung]! - 1e-9; rung++) {
      trialRungScores.push(trialBest);
      if (!survives(trialBest, this.scores[rung]!, this.eta, this.greaterIsBetter)) keep = false;
      this.scores[rung]!.push(trialBest);
    }
    return keep;
  }
}

/** The problem an evaluation scores: token classification's entity report has a token accuracy. */
function problemOf(m: Record<string, number>): MetricProblem {
  if ('token_accuracy' in m) return 'token_classification';
  if ('accuracy' in m && !('subset_accuracy' in m)) return 'single_label_classification';
  return 'pearson' in m ? 'regression' : 'multi_label_classification';
}

/** The default metric of each problem, as fineTune and fineTuneTokens pick it (entity F1 for tokens). */
const DEFAULT_ORDER: Record<MetricProblem, string[]> = {
  single_label_classification: ['accuracy'],
  multi_label_classification: ['micro_f1', 'pearson'],
  regression: ['micro_f1', 'pearson'],
  token_classification: ['f1'],
};

/**
 * The metric trials are ranked by: --metric-for-best-model when the evaluation reports it by that
 * name, else the first of the defaults (accuracy, micro F1, Pearson; entity F1) it reports, as fineTune picks.
 */
function metricName(entry: { eval_loss?: number; eval_metrics?: Record<string, number> }, wanted: string | undefined): string {
  const m = entry.eval_metrics ?? {};
  if (wanted === 'eval_loss') return wanted;
  // An alias (f1, acc, entity_f1, …) resolves as fineTune (or fineTuneTokens) resolves it.
  const problem = problemOf(m);
  let name = wanted;
  try {
    if (wanted) name = resolveMetricName(wanted, problem);
  } catch {
    // fineTune has already refused a name it does not know; keep it as given.
  }
  if (name && name in m) return name;
  return DEFAULT_ORDER[problem].find((k) => k in m) ?? Object.keys(m)[0] ?? 'eval_loss';
}
