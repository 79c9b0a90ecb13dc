import { UsageError } from '../errors.js';
import type { Label } from '../data/index.js';
import type { ProblemType } from '../heads/classification.js';

/**
 * The data side of a problem type: its CLI spelling, target rows from labels, class weights from
 * label counts. The head's loss and scores are in heads/classification.ts.
 */

/** Short CLI spellings (`single`, `multi`, `regression`) or the HF names. */
export function parseProblemType(value: string): ProblemType {
  const v = value.trim().toLowerCase();
  if (v === 'single' || v === 'single_label_classification') return 'single_label_classification';
  if (v === 'multi' || v === 'multi-label' || v === 'multi_label_classification') return 'multi_label_classification';
  if (v === 'regression') return 'regression';
  throw new UsageError(`--problem-type must be single, multi or regression; got "${value}"`);
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

/**
 * "Balanced" class weights n / (C · count_c), as scikit-learn's class_weight='balanced', so a
 * rare class counts as much in the loss as a common one. Classes absent from training get 1.
 */
export function balancedClassWeights(labelIds: readonly number[], numClasses: number): Float32Array {
  const counts = new Array<number>(numClasses).fill(0);
  for (const id of labelIds) counts[id]! += 1;
  return Float32Array.from(counts, (c) => (c === 0 ? 1 : labelIds.length / (numClasses * c)));
}
