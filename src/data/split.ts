/** Carving a validation set out of the training data when none is given. */
import { UsageError } from '../errors.js';
import { compareLabels } from './label-vocab.js';
import { Rng } from './random.js';
import type { Label } from './types.js';

/** The two parts of a split, each in the original order of the examples. */
export interface Split<T> {
  train: T[];
  validation: T[];
}

/**
 * The stratum of each example: its class; for multi-label data its rarest label (so rare labels
 * reach both parts); for regression one of ten quantile bins; '' when unlabelled.
 */
function strata(examples: ReadonlyArray<{ label?: Label }>): string[] {
  const numbers = examples.map((e) => e.label).filter((l): l is number => typeof l === 'number');
  if (numbers.length > 0) {
    const sorted = [...numbers].sort((a, b) => a - b);
    const edges = Array.from({ length: 9 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / 10)] as number);
    return examples.map((e) => (typeof e.label === 'number' ? String(edges.filter((edge) => (e.label as number) >= edge).length) : ''));
  }
  const frequency = new Map<string, number>();
  for (const e of examples) if (Array.isArray(e.label)) for (const l of e.label) frequency.set(l, (frequency.get(l) ?? 0) + 1);
  return examples.map((e) => {
    if (e.label === undefined) return '';
    if (!Array.isArray(e.label)) return String(e.label);
    let rarest = '';
    let count = Infinity;
    for (const l of [...e.label].sort(compareLabels)) {
      const c = frequency.get(l) ?? 0;
      if (c < count) [rarest, count] = [l, c];
    }
    return rarest;
  });
}

/**
 * Splits `examples` into train and validation parts, `fraction` of each class going to validation.
 * Seeded: the same data, fraction and seed give the same split. Every class with at least two examples
 * lands in both parts; a class with one example stays in train.
 */
export function stratifiedSplit<T extends { label?: Label }>(examples: readonly T[], fraction: number, seed: number): Split<T> {
  if (!(fraction > 0 && fraction < 1)) {
    throw new UsageError(`the validation fraction must be between 0 and 1 (exclusive); got ${fraction}`);
  }
  const keys = strata(examples);
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  const rng = new Rng(seed);
  const inValidation = new Uint8Array(examples.length);
  // Visit the groups in a fixed order so the random stream is used the same way every time.
  for (const key of [...groups.keys()].sort(compareLabels)) {
    const members = rng.shuffle(groups.get(key) as number[]);
    const n = members.length;
    const take = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
    for (let i = 0; i < take; i++) inValidation[members[i] as number] = 1;
  }
  const split: Split<T> = { train: [], validation: [] };
  examples.forEach((e, i) => (inValidation[i] ? split.validation : split.train).push(e));
  return split;
}
