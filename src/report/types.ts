/** The shape of training_results.json, which `bertft train` writes and the report reads. */
import type { HistoryEntry } from '../training/trainer.js';
import type { AutotuneSummary } from '../training/autotune.js';

export type ProblemType = 'single_label_classification' | 'multi_label_classification' | 'regression';

/** One evaluation point (usually the end of an epoch), as the trainer writes it. */
export type TrainingHistoryPoint = HistoryEntry;

/** The training loss every N optimiser steps, for a finer loss curve than one point per epoch. */
export interface TrainingStepPoint {
  step: number;
  loss: number;
  learning_rate: number;
}

/** Precision, recall and F1 of one label. */
export interface ClassScore {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Validation examples that truly have the label. */
  support: number;
}

/** The best model's full validation report. Scalar metrics depend on the problem type. */
export interface FinalEval {
  accuracy?: number;
  macro_f1?: number;
  eval_loss?: number;
  per_class?: ClassScore[];
  /** Counts, rows = true label, columns = predicted label. */
  confusion_matrix?: number[][];
  /** Label names for per_class / confusion_matrix rows, when they differ from the run's labels. */
  labels?: string[];
  [metric: string]: unknown;
}

/** What `bertft train` writes to training_results.json. */
export interface TrainingResults {
  /** Null when the version could not be determined. */
  bertft_version: string | null;
  /** The source model (Hub id or folder). */
  model: string;
  output_dir: string;
  problem_type: ProblemType;
  labels: string[];
  strategy: string;
  engine: string;
  /** The TF.js backend, when the engine has one. */
  backend?: string;
  hyperparameters: Record<string, string | number | boolean | null>;
  history: TrainingHistoryPoint[];
  steps?: TrainingStepPoint[];
  final_eval?: FinalEval | null;
  best: { epoch: number; step?: number; metric: string; value: number } | null;
  train_runtime_s: number;
  train_examples: number;
  eval_examples: number;
  train_examples_per_s: number;
  /** The `--autotune` search that chose this run's settings, when there was one. */
  autotune?: AutotuneSummary;
  started_at: string;
  finished_at: string;
}
