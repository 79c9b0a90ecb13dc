/**
 * The shape of a run's results file, which the report reads: `training_results.json` of
 * `bertft train` (and `--autotune`), and `pretraining_results.json` of `bertft pretrain`.
 * {@link TrainingResults} is either kind; `problem_type` tells them apart (pre-training has none).
 */
import type { DaptRecord } from '../adaptation/dapt.js';
import type { ClassScores as ClassScore, ProblemType } from '../metrics/types.js';
import type { EntityMode, EntityReport } from '../metrics/entities.js';
import type { Advice } from '../training/advise.js';
import type { AutotuneSummary } from '../training/autotune.js';
import type { RecipeChoice } from '../training/defaults.js';
import type { BestPoint, HistoryEntry, StepLog } from '../training/trainer.js';

export type { ClassScore, ProblemType };

/** One evaluation point (usually the end of an epoch), as the trainer writes it. */
export type TrainingHistoryPoint = HistoryEntry;

/** The training loss every optimiser step, for a finer loss curve than one point per evaluation. */
export type TrainingStepPoint = StepLog;

/**
 * The best model's full validation report (training/evaluation.ts): the metrics of its problem type
 * (metrics/types.ts: accuracy, macro_f1, … for single-label; micro_f1, subset_accuracy, … for
 * multi-label; pearson, mse, … for regression) plus `eval_loss`. The fields the report reads are named.
 */
export interface FinalEval {
  problem_type?: ProblemType;
  accuracy?: number;
  macro_f1?: number;
  eval_loss: number;
  per_class?: ClassScore[];
  /** Counts, rows = true label, columns = predicted label. */
  confusion_matrix?: number[][];
  /** Label names for per_class / confusion_matrix rows, when they differ from the run's labels. */
  labels?: string[];
  [metric: string]: unknown;
}

/** The schedule and optimiser settings every fine-tuning task records, in this order (training/schedule-rules.ts `scheduleRecord`). */
export interface ScheduleHyperparameters {
  epochs: number;
  max_steps: number | null;
  /** Examples per optimiser step (all its micro-batches together). */
  batch_size: number;
  /** Micro-batches per optimiser step: each holds batch_size / gradient_accumulation_steps examples. */
  gradient_accumulation_steps: number;
  learning_rate: number;
  head_lr: number | null;
  layer_lr_decay: number;
  warmup_ratio: number;
  weight_decay: number;
  max_grad_norm: number;
  seed: number;
}

/** The settings a fine-tuning run resolved (flags, defaults and rules), as training_results.json records them. */
export interface ClassificationHyperparameters extends ScheduleHyperparameters {
  model: string;
  init: 'pretrained' | 'random';
  strategy: string;
  pooling: string;
  max_length: number;
  eval_steps: number;
  early_stopping_patience: number;
  metric_for_best_model: string;
  threshold: number;
  class_weights: 'none' | 'balanced';
  limit: number | null;
  /** The `--augment` spec, formatted. */
  augment: string | null;
  /** Present with `--domain-adaptation` only. */
  domain_adaptation?: string;
  target_text?: string[];
  domain_lambda?: number;
  coral_weight?: number;
  dapt_steps?: number | null;
}

/** The rule-based settings and what chose each: a flag, a fixed default or a rule (defaults.ts). */
export interface RecipeRules {
  learning_rate: RecipeChoice;
  epochs: RecipeChoice;
  early_stopping_patience: RecipeChoice;
}

/** One step of domain adaptation: DAPT's continued pre-training, or fine-tuning with its objective. */
export type DomainAdaptationStep =
  | ({ step: string } & DaptRecord)
  | {
      step: string;
      /** `dann`, `coral` or `classification only`. */
      objective: string;
      lambda_max?: number;
      lambda_schedule?: string;
      final_domain_accuracy?: number | null;
      /** Frozen CORAL: how the source features were mapped. */
      coral?: string;
      coral_weight?: number;
      final_coral_loss?: number | null;
    };

/** What training_results.json records about `--domain-adaptation`. */
export interface DomainAdaptationRecord {
  method: string;
  target_text: string[];
  target_texts: number;
  target_unk_rate: number;
  steps: DomainAdaptationStep[];
}

/** What `bertft train` (and `--autotune`, `fineTune`, `autotune`) writes to training_results.json. */
export interface ClassificationResults {
  /** Null when the version could not be determined. */
  bertft_version: string | null;
  /** The source model (Hub id or folder). */
  model: string;
  output_dir: string;
  problem_type: ProblemType;
  labels: string[];
  strategy: string;
  engine: string;
  /** The TF.js backend, when TF.js was started (the frozen head, the TF.js engine); else null. */
  backend: string | null;
  hyperparameters: ClassificationHyperparameters;
  recipe_rules: RecipeRules;
  /** `--strategy auto`: the measurements that chose the strategy; else null. */
  advice: Advice | null;
  history: TrainingHistoryPoint[];
  steps: TrainingStepPoint[];
  final_eval: FinalEval | null;
  best: BestPoint | null;
  /** Stopped from outside (Ctrl-C): the file is then not written, but fineTune returns it. */
  interrupted: boolean;
  train_runtime_s: number;
  /** Frozen strategy: seconds spent extracting (or reading cached) features; else 0. */
  feature_extraction_s: number;
  train_examples: number;
  eval_examples: number;
  train_examples_per_s: number;
  started_at: string;
  finished_at: string;
  /** `--domain-adaptation`: the method, the target text and each step. */
  domain_adaptation?: DomainAdaptationRecord;
  /** The `--autotune` search that chose this run's settings, when there was one. */
  autotune?: AutotuneSummary;
}

/** One logged optimiser step of pre-training. */
export interface PretrainingHistoryPoint {
  step: number;
  tokens: number;
  loss: number;
  lr: number;
}

/** One held-out evaluation of pre-training: masked-LM loss and masked-token accuracy. */
export interface PretrainingEvalPoint {
  step: number;
  tokens: number;
  loss: number;
  accuracy: number;
}

/** The settings of a pre-training run, as pretraining_results.json records them. */
export type PretrainingHyperparameters = {
  embedding_init: 'random' | 'skipgram';
  /** `embedding_init: skipgram` only. */
  skipgram_epochs?: number;
  /** The word-piece embeddings (and the tied decoder) were kept fixed (`--freeze-word-embeddings`). */
  freeze_word_embeddings?: boolean;
  /** Sequences per optimiser step. */
  batch_size: number;
  /** Micro-batches per optimiser step. */
  gradient_accumulation: number;
  learning_rate: number;
  warmup_ratio: number;
  weight_decay: number;
  max_grad_norm: number;
  mlm_probability: number;
  whole_word_masking: boolean;
  dropout: number;
  seed: number;
  /** Absent for a run measured in minutes. */
  max_steps?: number;
  minutes?: number;
};

/** What `bertft pretrain` writes to pretraining_results.json. It has no `problem_type`. */
export interface PretrainingResults {
  problem_type?: undefined;
  /** The model continued from, or `random init (<config>)`. */
  source: string;
  architecture: { layers: number; hidden: number; heads: number; intermediate: number; vocab: number };
  corpus: { files: string[]; documents: number; word_pieces: number; sequences: number; max_length: number; packed: boolean };
  eval_corpus?: { files?: string[]; sequences: number };
  hyperparameters: PretrainingHyperparameters;
  steps: number;
  tokens_seen: number;
  /** Passes over the corpus (fractional). */
  epochs: number;
  elapsed_s: number;
  final_train_loss?: number;
  final_eval?: PretrainingEvalPoint;
  history: PretrainingHistoryPoint[];
  evals: PretrainingEvalPoint[];
  /** Folders of the snapshots written along the way. */
  snapshots: string[];
}

/** Every setting a token-classification run resolved (training_results.json `hyperparameters`). */
export interface TokenClassificationHyperparameters extends ScheduleHyperparameters {
  task: 'token-classification';
  model: string;
  init: 'pretrained' | 'random';
  strategy: string;
  max_length: number;
  stride: number;
  label_all_tokens: boolean;
  entity_mode: EntityMode;
  eval_steps: number;
  early_stopping_patience: number;
  metric_for_best_model: string;
  class_weights: 'none' | 'balanced';
  limit: number | null;
}

/** How sentences became windows (training/token-data.ts). */
export interface WindowCounts {
  sentences: number;
  windows: number;
  /** Sentences longer than one window, split into overlapping windows (no token dropped). */
  sentencesSplit: number;
}

/** What `bertft train --task token-classification` writes to training_results.json. */
export interface TokenClassificationResults {
  bertft_version: string | null;
  model: string;
  output_dir: string;
  problem_type: 'token_classification';
  /** The tags (IOB2), `O` first. */
  labels: string[];
  strategy: string;
  engine: string;
  backend: string | null;
  hyperparameters: TokenClassificationHyperparameters;
  recipe_rules: RecipeRules;
  history: TrainingHistoryPoint[];
  steps: TrainingStepPoint[];
  /** The best model's entity report (metrics/entities.ts) with `eval_loss`. */
  final_eval: (EntityReport & { eval_loss: number }) | null;
  best: BestPoint | null;
  interrupted: boolean;
  train_runtime_s: number;
  /** Frozen strategy: seconds spent extracting (or reading cached) per-token features; else 0 (absent in files of earlier versions). */
  feature_extraction_s?: number;
  train_sentences: number;
  eval_sentences: number;
  windows: { train: WindowCounts; validation: WindowCounts | null };
  train_windows_per_s: number;
  started_at: string;
  finished_at: string;
  /** `--autotune`: the search that chose this run (its best trial). */
  autotune?: AutotuneSummary<TokenClassificationHyperparameters>;
}

/** A run's results file, any kind: narrow with {@link isPretrainingResults} (or on `problem_type`). */
export type TrainingResults = ClassificationResults | TokenClassificationResults | PretrainingResults;

/** True for pretraining_results.json, false for training_results.json. */
export function isPretrainingResults(r: TrainingResults): r is PretrainingResults {
  return r.problem_type === undefined;
}
