/** What `bertft train` writes to training_results.json (the fields the report reads). */
export interface TrainingResults {
  bertft_version?: string | null;
  model: string;
  output_dir: string;
  problem_type: 'single_label_classification' | 'multi_label_classification' | 'regression';
  labels: string[];
  strategy: string;
  engine: string;
  backend?: string;
  hyperparameters: Record<string, string | number | boolean | null>;
  history: { epoch: number; step: number; train_loss: number; learning_rate: number; eval_loss?: number; eval_metrics?: Record<string, number>; elapsed_s: number }[];
  steps?: { step: number; loss: number; learning_rate: number }[];
  final_eval?: (Record<string, unknown> & {
    per_class?: { label: string; precision: number; recall: number; f1: number; support: number }[];
    confusion_matrix?: number[][];
    labels?: string[];
  }) | null;
  best: { epoch: number; step?: number; metric: string; value: number } | null;
  train_runtime_s: number;
  train_examples: number;
  eval_examples: number;
  train_examples_per_s: number;
  started_at?: string;
  finished_at?: string;
}
