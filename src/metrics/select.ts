import { UsageError } from '../errors.js';
import type { EntityReport } from './entities.js';
import type { EvalReport, ProblemType } from './types.js';

/** The problems a metric can be picked for: the sequence problem types, and token classification (entities.ts). */
export type MetricProblem = ProblemType | 'token_classification';

/**
 * Picking one number out of a report by name, for `--metric-for-best-model` and early stopping.
 * Names may carry Hugging Face's `eval_` prefix (`eval_accuracy` = `accuracy`).
 */

/** The evaluation loss. It is not part of a report: the training loop measures it and handles it. */
export const LOSS_METRIC = 'eval_loss';

const SINGLE_LABEL_METRICS = ['accuracy', 'macro_f1', 'micro_f1', 'weighted_f1', 'macro_precision', 'macro_recall', 'mcc'] as const;
const MULTI_LABEL_METRICS = ['micro_f1', 'macro_f1', 'micro_precision', 'micro_recall', 'subset_accuracy', 'hamming_loss'] as const;
const REGRESSION_METRICS = ['mse', 'rmse', 'mae', 'pearson', 'spearman', 'r2'] as const;
/** Entity-level scores (micro `f1`, as conlleval's overall and seqeval's micro avg) and token accuracy. */
const TOKEN_METRICS = ['f1', 'precision', 'recall', 'macro_f1', 'weighted_f1', 'token_accuracy'] as const;

/** Every name `--metric-for-best-model` accepts, in canonical spelling. */
export type MetricName =
  | (typeof SINGLE_LABEL_METRICS)[number]
  | (typeof MULTI_LABEL_METRICS)[number]
  | (typeof REGRESSION_METRICS)[number]
  | (typeof TOKEN_METRICS)[number]
  | typeof LOSS_METRIC;

const REPORT_METRICS: Record<MetricProblem, readonly MetricName[]> = {
  single_label_classification: SINGLE_LABEL_METRICS,
  multi_label_classification: MULTI_LABEL_METRICS,
  regression: REGRESSION_METRICS,
  token_classification: TOKEN_METRICS,
};

/** Metrics where a smaller value is better. */
const LOWER_IS_BETTER: ReadonlySet<MetricName> = new Set<MetricName>(['mse', 'rmse', 'mae', 'hamming_loss', LOSS_METRIC]);

/** Other spellings people commonly use, per problem type. */
const ALIASES: Record<MetricProblem, ReadonlyMap<string, MetricName>> = {
  single_label_classification: new Map([
    ['loss', LOSS_METRIC],
    ['matthews_correlation', 'mcc'],
  ]),
  // scikit-learn's accuracy_score on label sets is subset accuracy.
  multi_label_classification: new Map([
    ['loss', LOSS_METRIC],
    ['accuracy', 'subset_accuracy'],
  ]),
  regression: new Map([['loss', LOSS_METRIC]]),
  token_classification: new Map([
    ['loss', LOSS_METRIC],
    ['entity_f1', 'f1'],
    ['micro_f1', 'f1'],
    ['overall_f1', 'f1'],
    ['accuracy', 'token_accuracy'],
  ]),
};

/** The canonical metric names valid for a problem type (including `eval_loss`). */
export function metricNames(problemType: MetricProblem): MetricName[] {
  return [...REPORT_METRICS[problemType], LOSS_METRIC];
}

/** The canonical name for `name` under a problem type, or undefined when it is not one of its metrics. */
function lookupMetricName(name: string, problemType: MetricProblem): MetricName | undefined {
  const raw = name.trim().toLowerCase();
  const bare = raw.startsWith('eval_') ? raw.slice('eval_'.length) : raw;
  for (const candidate of [raw, bare]) {
    const found = metricNames(problemType).find((m) => m === candidate) ?? ALIASES[problemType].get(candidate);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Resolves a user-given metric name for a problem type: trims, lower-cases, drops an `eval_`
 * prefix and maps aliases (`loss`, multi-label `accuracy`, `matthews_correlation`). Call it when
 * parsing options, so a typo fails before training rather than after the first epoch.
 *
 * @throws UsageError listing the valid names for that problem type.
 */
export function resolveMetricName(name: string, problemType: MetricProblem): MetricName {
  const found = lookupMetricName(name, problemType);
  if (found === undefined) {
    const kind = problemType.replaceAll('_', ' ');
    const valid = metricNames(problemType).join(', ');
    throw new UsageError(`--metric-for-best-model "${name}" is not a ${kind} metric; use one of ${valid}`);
  }
  return found;
}

/**
 * The value of metric `name` in `report` (names as {@link resolveMetricName} accepts).
 * `eval_loss` is not computed by the report builders; it is returned only when the caller has
 * attached a numeric `eval_loss` to the report (as the trainer does).
 *
 * @throws UsageError for a name that is not a metric of the report's problem type.
 */
export function metricValue(report: EvalReport | EntityReport, name: string): number {
  const metric = resolveMetricName(name, report.problem_type);
  const value = (report as unknown as Record<string, unknown>)[metric];
  if (typeof value === 'number') return value;
  // Only reachable for eval_loss: every other resolved name is a numeric field of its report type.
  throw new Error(`metricValue: the report has no "${metric}"; the caller measures the loss and must attach it`);
}

/**
 * Whether a larger value of metric `name` is better (false for mse, rmse, mae, hamming_loss and
 * the loss). Accepts any name valid for some problem type, with or without `eval_`.
 *
 * @throws UsageError for a name that is no metric at all, listing every valid name.
 */
export function metricGreaterIsBetter(name: string): boolean {
  const types = Object.keys(REPORT_METRICS) as MetricProblem[];
  for (const type of types) {
    const found = lookupMetricName(name, type);
    if (found !== undefined) return !LOWER_IS_BETTER.has(found);
  }
  const all = [...new Set(types.flatMap(metricNames))];
  throw new UsageError(`--metric-for-best-model "${name}" is not a known metric; use one of ${all.join(', ')}`);
}
