/**
 * Shapes of the evaluation reports. Every report is a plain JSON-serialisable object with snake_case
 * keys, because it is written as-is into training_results.json and printed by the CLI.
 */

/** The three kinds of task a classifier head can be trained for (Hugging Face `problem_type` spelling). */
export type ProblemType = 'single_label_classification' | 'multi_label_classification' | 'regression';

/** Scores for one class (single-label) or one label (multi-label). */
export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** How many examples truly belong to this class (have this label). */
  support: number;
}

/** Metrics for single-label classification: one class per example. */
export interface ClassificationReport {
  problem_type: 'single_label_classification';
  accuracy: number;
  macro_f1: number;
  /** Equals accuracy when every class is listed in `labels`; kept for naming symmetry with multi-label. */
  micro_f1: number;
  weighted_f1: number;
  macro_precision: number;
  macro_recall: number;
  /** Matthews correlation coefficient, multi-class (Gorodkin) form; 0 when undefined. */
  mcc: number;
  per_class: ClassScores[];
  /** `confusion_matrix[t][p]`: examples of true class t predicted as p, in `labels` order. */
  confusion_matrix: number[][];
  labels: string[];
  /** Number of examples evaluated. */
  support: number;
}

/** Metrics for multi-label classification: any subset of labels per example. */
export interface MultiLabelReport {
  problem_type: 'multi_label_classification';
  micro_f1: number;
  macro_f1: number;
  micro_precision: number;
  micro_recall: number;
  /** Fraction of examples whose whole predicted label set is exactly right. */
  subset_accuracy: number;
  /** Fraction of (example, label) decisions that are wrong. */
  hamming_loss: number;
  per_class: ClassScores[];
  labels: string[];
  /** Number of examples evaluated. */
  support: number;
}

/** Metrics for regression (one real-valued target per example). */
export interface RegressionReport {
  problem_type: 'regression';
  mse: number;
  rmse: number;
  mae: number;
  /** 0 when either side is constant (the correlation is undefined). */
  pearson: number;
  /** Pearson correlation of average ranks; 0 when either side is constant. */
  spearman: number;
  /** Coefficient of determination; for constant targets 1 if predictions are exact, else 0 (as scikit-learn). */
  r2: number;
  /** Number of examples evaluated. */
  support: number;
}

/** Any evaluation report. `problem_type` tells them apart. */
export type EvalReport = ClassificationReport | MultiLabelReport | RegressionReport;
