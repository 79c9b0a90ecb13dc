/**
 * Made-up but realistic training results (decaying noisy loss, rising accuracy, a consistent
 * confusion matrix), for trying the report without training: the render script's --sample and the
 * tests use them.
 */
import { mulberry32 } from '../data/random.js';
import type { ClassScore, FinalEval, ProblemType, TrainingHistoryPoint, ClassificationResults, TrainingStepPoint } from './types.js';

/** Options for {@link sampleResults}. */
export interface SampleOptions {
  /** Class names (ignored for regression). Default: negative, positive. */
  labels?: string[];
  epochs?: number;
  stepsPerEpoch?: number;
  problemType?: ProblemType;
  /** false = a run without validation data. Default true. */
  evaluate?: boolean;
  seed?: number;
}

/**
 * Builds a ClassificationResults object as `bertft train` would write it.
 *
 * @returns results whose per-class scores and accuracy agree with their confusion matrix
 */
export function sampleResults(options: SampleOptions = {}): ClassificationResults {
  const problem = options.problemType ?? 'single_label_classification';
  const labels = problem === 'regression' ? ['score'] : (options.labels ?? ['negative', 'positive']);
  const epochs = options.epochs ?? 3;
  const perEpoch = options.stepsPerEpoch ?? 40;
  const evaluate = options.evaluate ?? true;
  const multiLabel = problem === 'multi_label_classification';
  const rand = mulberry32(options.seed ?? 7); // seeded, so a sample is the same every time
  const batchSize = 16;
  const chance = Math.log(Math.max(2, labels.length));

  // The final evaluation first, so the last epoch's metrics in the history can agree with it.
  const classes = problem === 'regression' ? undefined : classificationEval(labels, rand, multiLabel);
  const finalScore = (name: string, fallback: number) => (typeof classes?.[name] === 'number' ? (classes[name] as number) : fallback);
  const steps: TrainingStepPoint[] = [];
  const history: TrainingHistoryPoint[] = [];
  const total = epochs * perEpoch;
  const lr = (s: number) => 5e-5 * (s < total * 0.1 ? s / (total * 0.1) : (total - s) / (total * 0.9));
  for (let e = 1; e <= epochs; e++) {
    let sum = 0;
    for (let i = 1; i <= perEpoch; i++) {
      const step = (e - 1) * perEpoch + i;
      const loss = 0.18 + (chance - 0.18) * Math.exp(-step / (perEpoch * 0.6)) + (rand() - 0.5) * 0.25;
      steps.push({ step, loss, learning_rate: lr(step) });
      sum += loss;
    }
    const point: TrainingHistoryPoint = {
      epoch: e,
      step: e * perEpoch,
      train_loss: sum / perEpoch,
      learning_rate: lr(e * perEpoch),
      elapsed_s: Number((e * perEpoch * 0.31).toFixed(3)),
    };
    if (evaluate) {
      const quality = 1 - Math.exp(-e / 1.1); // 0.6, 0.84, 0.93…
      const lag = (Math.exp(-e / 1.1) - Math.exp(-epochs / 1.1)) * 0.4; // how far below the final score; 0 at the last epoch
      point.eval_loss = 0.3 + (chance - 0.3) * (1 - quality) + 0.04 * Math.max(0, e - 2);
      const accuracy = finalScore(multiLabel ? 'micro_f1' : 'accuracy', 0.9) - lag;
      point.eval_metrics =
        problem === 'regression'
          ? { mse: 0.9 - 0.5 * quality, pearson: 0.5 + 0.35 * quality, spearman: 0.48 + 0.34 * quality }
          : { accuracy, macro_f1: finalScore('macro_f1', 0.88) - lag * 1.1, micro_f1: accuracy };
    }
    history.push(point);
  }

  const metric = problem === 'regression' ? 'pearson' : problem === 'multi_label_classification' ? 'micro_f1' : 'accuracy';
  const bestPoint = evaluate ? history.reduce((b, h) => ((h.eval_metrics?.[metric] ?? 0) > (b.eval_metrics?.[metric] ?? 0) ? h : b)) : undefined;
  const evalExamples = evaluate ? 60 * labels.length : 0;
  let finalEval: FinalEval | null = null;
  if (bestPoint) {
    finalEval =
      problem === 'regression'
        ? {
            problem_type: problem,
            ...bestPoint.eval_metrics,
            rmse: Math.sqrt(bestPoint.eval_metrics!.mse!),
            r2: 0.61,
            support: evalExamples,
            eval_loss: bestPoint.eval_loss!,
          }
        : { problem_type: problem, ...classes, eval_loss: bestPoint.eval_loss! };
  }
  const seconds = total * 0.31;
  return {
    bertft_version: '0.1.0',
    model: 'bert-base-uncased',
    output_dir: 'bertft-model',
    problem_type: problem,
    labels,
    strategy: 'full',
    engine: 'tfjs',
    backend: 'wasm',
    hyperparameters: {
      model: 'bert-base-uncased',
      init: 'pretrained',
      strategy: 'full',
      pooling: 'pooler',
      epochs,
      max_steps: null,
      batch_size: batchSize,
      gradient_accumulation_steps: 1,
      learning_rate: 5e-5,
      head_lr: null,
      layer_lr_decay: 1,
      warmup_ratio: 0.1,
      weight_decay: 0.01,
      max_grad_norm: 1,
      seed: 42,
      max_length: 128,
      eval_steps: 0,
      early_stopping_patience: 0,
      metric_for_best_model: metric,
      threshold: 0.5,
      class_weights: 'none',
      limit: null,
      augment: null,
    },
    recipe_rules: {
      learning_rate: { value: 5e-5, source: 'flag', rule: '--learning-rate 5e-5' },
      epochs: { value: epochs, source: 'flag', rule: `--epochs ${epochs}` },
      early_stopping_patience: { value: 0, source: 'flag', rule: '--early-stopping-patience 0' },
    },
    advice: null,
    history,
    steps,
    final_eval: finalEval,
    best: bestPoint ? { epoch: bestPoint.epoch, step: bestPoint.step, metric, value: bestPoint.eval_metrics![metric]! } : null,
    interrupted: false,
    train_runtime_s: seconds,
    feature_extraction_s: 0,
    train_examples: total * batchSize,
    eval_examples: evalExamples,
    train_examples_per_s: (total * batchSize) / seconds,
    started_at: '2026-11-22T09:14:03.512Z',
    finished_at: new Date(Date.parse('2026-11-22T09:14:03.512Z') + seconds * 1000 + 4000).toISOString(),
  };
}

/**
 * An imbalanced confusion matrix (errors mostly into neighbouring classes) and the scores it
 * implies. Multi-label runs keep the scores but have no confusion matrix.
 */
function classificationEval(labels: string[], rand: () => number, multiLabel: boolean): Partial<FinalEval> {
  const n = labels.length;
  const matrix = labels.map((_, t) => {
    const support = 30 + Math.round(rand() * 60);
    const row = new Array<number>(n).fill(0);
    let wrong = Math.round(support * (0.05 + rand() * 0.25));
    row[t] = support - wrong;
    while (wrong-- > 0) {
      const off = rand() < 0.7 ? (rand() < 0.5 ? -1 : 1) : Math.floor(rand() * n);
      const p = (((t + off) % n) + n) % n;
      row[p === t ? (t + 1) % n : p]!++;
    }
    return row;
  });
  const perClass: ClassScore[] = labels.map((label, k) => {
    const tp = matrix[k]![k]!;
    const support = matrix[k]!.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, row) => a + row[k]!, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    return { label, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support };
  });
  const totalCount = perClass.reduce((a, c) => a + c.support, 0);
  const correct = labels.reduce((a, _, k) => a + matrix[k]![k]!, 0);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const scores = {
    macro_f1: mean(perClass.map((c) => c.f1)),
    macro_precision: mean(perClass.map((c) => c.precision)),
    macro_recall: mean(perClass.map((c) => c.recall)),
    per_class: perClass,
    labels,
    support: totalCount,
  };
  if (multiLabel) return { micro_f1: correct / totalCount, subset_accuracy: (correct / totalCount) * 0.8, ...scores };
  return { accuracy: correct / totalCount, ...scores, confusion_matrix: matrix };
}
