import type { TokenBatch } from '../tokenization/index.js';
import { classificationReport, multiLabelReport, regressionReport } from '../metrics/index.js';
import { bucketedBatches } from '../data/index.js';
import { classifierHostLoss, classifierScores, type ProblemType } from '../heads/classification.js';
import { collate, type TokenizedSet } from './tokenized.js';

/** Anything that maps a token batch to logits (a training engine or an inference runner). */
export interface LogitSource {
  logits(tokens: TokenBatch): Promise<Float32Array>;
}

/** Logits [N, width] for every example, in input order; batches are length-sorted to keep padding small. */
export async function logitsFor(
  source: LogitSource,
  set: TokenizedSet,
  width: number,
  batchSize: number,
  onBatch?: (done: number) => void,
): Promise<Float32Array> {
  const out = new Float32Array(set.lengths.length * width);
  let done = 0;
  for (const idx of bucketedBatches(set.lengths, batchSize, 0, { shuffle: false })) {
    const logits = await source.logits(collate(set, idx));
    idx.forEach((i, r) => out.set(logits.subarray(r * width, (r + 1) * width), i * width));
    done += idx.length;
    onBatch?.(done);
  }
  return out;
}

/** A metrics report (snake_case keys) as written to training_results.json. */
export type MetricsReport = Record<string, unknown>;

/**
 * Metrics for a problem type from logits and target rows (one-hot / multi-hot / value).
 * Multi-label predictions are the labels whose sigmoid reaches `threshold`.
 */
export function metricsFromLogits(
  problem: ProblemType,
  logits: Float32Array,
  targets: Float32Array,
  width: number,
  labels: string[],
  threshold = 0.5,
): MetricsReport {
  const n = logits.length / width;
  if (problem === 'regression') {
    return regressionReport(Array.from(targets), Array.from(logits)) as unknown as MetricsReport;
  }
  const scores = classifierScores(logits, width, problem);
  const rows = (m: Float32Array, r: number) => Array.from(m.subarray(r * width, (r + 1) * width));
  if (problem === 'multi_label_classification') {
    const yTrue = Array.from({ length: n }, (_, r) => rows(targets, r).map((v) => (v > 0.5 ? 1 : 0)));
    const yPred = Array.from({ length: n }, (_, r) => rows(scores, r).map((v) => (v >= threshold ? 1 : 0)));
    return multiLabelReport(yTrue, yPred, labels) as unknown as MetricsReport;
  }
  const argmax = (row: number[]) => row.reduce((best, v, i) => (v > row[best]! ? i : best), 0);
  const yTrue = Array.from({ length: n }, (_, r) => argmax(rows(targets, r)));
  const yPred = Array.from({ length: n }, (_, r) => argmax(rows(logits, r)));
  return classificationReport(yTrue, yPred, labels) as unknown as MetricsReport;
}

/** A metrics report with the loss on the same examples. */
export type EvaluationReport = MetricsReport & { eval_loss: number };

/**
 * Metrics and `eval_loss` from logits: the one evaluation of the trainer (each evaluation during
 * `bertft train`) and of `TextClassifier.evaluate` (`bertft evaluate`), so both report the same
 * numbers for the same model and data.
 *
 * eval_loss is the training objective (as in Hugging Face's Trainer, where the evaluation loss is
 * the model's loss): with class weights (`--class-weights balanced`) it is the same weighted
 * cross-entropy, with the weights recorded at training (config.json `bertft.class_weights`).
 */
export function evaluationReport(
  problem: ProblemType,
  logits: Float32Array,
  targets: Float32Array,
  width: number,
  labels: string[],
  threshold: number,
  classWeights?: ArrayLike<number>,
): EvaluationReport {
  const report = metricsFromLogits(problem, logits, targets, width, labels, threshold);
  return { ...report, eval_loss: classifierHostLoss(problem, logits, targets, width, classWeights) };
}
