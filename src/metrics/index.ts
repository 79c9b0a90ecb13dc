/** Evaluation metrics for single-label, multi-label and regression heads (see docs/metrics.md). */
export type {
  ClassificationReport,
  ClassScores,
  EvalReport,
  MultiLabelReport,
  ProblemType,
  RegressionReport,
} from './types.js';
export { classificationReport, confusionMatrix, matthewsCorrcoef } from './classification.js';
export { multiLabelReport } from './multi-label.js';
export { regressionReport, rSquared } from './regression.js';
export { averageRanks, pearson, spearman } from './correlation.js';
export {
  LOSS_METRIC,
  metricGreaterIsBetter,
  metricNames,
  metricValue,
  resolveMetricName,
  type MetricName,
} from './select.js';
export { formatReport } from './format.js';
export * from './entities.js';
