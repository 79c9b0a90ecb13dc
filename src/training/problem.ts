import { UsageError } from '../errors.js';
import type { Label } from '../data/index.js';
import type { TensorOps } from '../models/ops.js';
import { meanSquaredError, sigmoidBinaryCrossEntropy, softmaxCrossEntropy } from '../heads/losses.js';

/** The Hugging Face `problem_type` values. */
export type ProblemType = 'single_label_classification' | 'multi_label_classification' | 'regression';
export const PROBLEM_TYPES: readonly ProblemType[] = ['single_label_classification', 'multi_label_classification', 'regression'];

/** Short CLI spellings (`single`, `multi`, `regression`) or the HF names. */
export function parseProblemType(value: string): ProblemType {
  const v = value.trim().toLowerCase();
  if (v === 'single' || v === 'single_label_classification') return 'single_label_classification';
  if (v === 'multi' || v === 'multi-label' || v === 'multi_label_classification') return 'multi_label_classification';
  if (v === 'regression') return 'regression';
  throw new UsageError(`--problem-type must be single, multi or regression; got "${value}"`);
}

/** Number of logits: one per class, or 1 for regression. */
export function numOutputs(problem: ProblemType, labels: readonly string[]): number {
  return problem === 'regression' ? 1 : labels.length;
}

/** One example's target row: one-hot (single), multi-hot (multi) or the value (regression). */
export function targetRow(label: Label | undefined, problem: ProblemType, label2id: Record<string, number>, width: number): Float32Array {
  const row = new Float32Array(width);
  if (label === undefined) return row;
  if (problem === 'regression') {
    row[0] = typeof label === 'number' ? label : Number(label);
  } else {
    for (const name of Array.isArray(label) ? label : [String(label)]) row[label2id[name]!] = 1;
  }
  return row;
}

/** The training objective for a problem type, written over TensorOps so every engine shares it. */
export function lossFor<T>(ops: TensorOps<T>, problem: ProblemType, logits: T, targets: T, classWeights?: T): T {
  switch (problem) {
    case 'single_label_classification':
      return softmaxCrossEntropy(ops, logits, targets, classWeights);
    case 'multi_label_classification':
      return sigmoidBinaryCrossEntropy(ops, logits, targets);
    case 'regression':
      return meanSquaredError(ops, logits, targets);
  }
}

/** Scores from logits: softmax rows (single), sigmoids (multi), the raw value (regression). */
export function scoresFromLogits(logits: Float32Array, width: number, problem: ProblemType): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / width; r++) {
    const row = logits.subarray(r * width, (r + 1) * width);
    if (problem === 'single_label_classification') {
      const max = Math.max(...row);
      let sum = 0;
      for (let c = 0; c < width; c++) sum += Math.exp(row[c]! - max);
      for (let c = 0; c < width; c++) out[r * width + c] = Math.exp(row[c]! - max) / sum;
    } else if (problem === 'multi_label_classification') {
      for (let c = 0; c < width; c++) out[r * width + c] = 1 / (1 + Math.exp(-row[c]!));
    } else {
      out.set(row, r * width);
    }
  }
  return out;
}

/**
 * "Balanced" class weights n / (C · count_c), as scikit-learn's class_weight='balanced', so a
 * rare class counts as much in the loss as a common one. Classes absent from training get 1.
 */
export function balancedClassWeights(labelIds: readonly number[], numClasses: number): Float32Array {
  const counts = new Array<number>(numClasses).fill(0);
  for (const id of labelIds) counts[id]! += 1;
  return Float32Array.from(counts, (c) => (c === 0 ? 1 : labelIds.length / (numClasses * c)));
}

/** The mean loss computed on the host from logits (evaluation needs no engine round trip). */
export function hostLoss(problem: ProblemType, logits: Float32Array, targets: Float32Array, width: number, classWeights?: Float32Array): number {
  const n = logits.length / width;
  let total = 0;
  for (let r = 0; r < n; r++) {
    const z = logits.subarray(r * width, (r + 1) * width);
    const y = targets.subarray(r * width, (r + 1) * width);
    if (problem === 'regression') {
      total += (z[0]! - y[0]!) ** 2;
    } else if (problem === 'multi_label_classification') {
      let s = 0;
      // −[y·log σ(z) + (1−y)·log σ(−z)] with log σ(z) = −softplus(−z), stable for large |z|.
      for (let c = 0; c < width; c++) s += y[c]! * softplus(-z[c]!) + (1 - y[c]!) * softplus(z[c]!);
      total += s / width;
    } else {
      const max = Math.max(...z);
      let sum = 0;
      for (let c = 0; c < width; c++) sum += Math.exp(z[c]! - max);
      const logSum = max + Math.log(sum);
      for (let c = 0; c < width; c++) total -= (classWeights?.[c] ?? 1) * y[c]! * (z[c]! - logSum);
    }
  }
  return n === 0 ? 0 : total / n;
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
