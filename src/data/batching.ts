/**
 * Grouping examples of similar length into batches, so a batch is padded to little more than its
 * longest member instead of the longest text in the data set.
 */
import { UsageError } from '../errors.js';
import { Rng } from './random.js';

/** Options of bucketedBatches. */
export interface BucketOptions {
  /** Training order (default true): shuffled, seeded. False: sorted by length, for fast evaluation. */
  shuffle?: boolean;
  /** Examples are sorted by length within chunks of `bucketFactor × batchSize` (default 50). */
  bucketFactor?: number;
}

/** Stable sort of indices by length (ties keep their order, so results are reproducible). */
function byLength(indices: number[], lengths: readonly number[]): number[] {
  return indices.sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
}

function cut(indices: readonly number[], batchSize: number, into: number[][]): void {
  for (let i = 0; i < indices.length; i += batchSize) into.push(indices.slice(i, i + batchSize));
}

/**
 * Splits example indices `0..lengths.length-1` into batches of `batchSize` (the last may be smaller).
 * With shuffle: a seeded shuffle, then sorting by length inside chunks of `bucketFactor × batchSize`
 * examples, then a seeded shuffle of the batch order — random enough for training, and each batch
 * holds texts of similar length. Without shuffle: all indices sorted by length. Every index appears
 * exactly once; the same arguments give the same batches.
 */
export function bucketedBatches(lengths: readonly number[], batchSize: number, seed: number, options: BucketOptions = {}): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size must be a positive integer; got ${batchSize}`);
  const factor = options.bucketFactor ?? 50;
  if (!Number.isInteger(factor) || factor < 1) throw new UsageError(`bucketFactor must be a positive integer; got ${factor}`);
  const batches: number[][] = [];
  if (options.shuffle === false) {
    cut(
      byLength(
        Array.from(lengths, (_, i) => i),
        lengths,
      ),
      batchSize,
      batches,
    );
    return batches;
  }
  const rng = new Rng(seed);
  const order = rng.permutation(lengths.length);
  const chunk = factor * batchSize;
  for (let start = 0; start < order.length; start += chunk) {
    cut(byLength(order.slice(start, start + chunk), lengths), batchSize, batches);
  }
  return rng.shuffle(batches);
}
