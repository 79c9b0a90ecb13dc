import { UsageError } from '../errors.js';

/**
 * How inference cuts a list of tokenized texts into forward passes (predict, evaluate, embed).
 *
 * - Length bucketing: texts are run sorted by token length, so each batch is padded to little
 *   more than its own rows (a batch of SST-2 sentences in input order pads to about twice the
 *   tokens it holds); results go back to input order.
 * - A token budget: a batch holds at most `maxTokens` padded tokens and at most `maxRows` rows.
 *   Short texts then go in wide batches (fewer calls), long ones in narrow batches whose
 *   activations stay in cache.
 *
 * The batches never change a row's result beyond float summation order: each row of a BERT
 * forward pass depends only on its own tokens (padding is masked out).
 */

/** The inference batching defaults, in one place (bench/speed/predict-vs-transformersjs.ts measures them). */
export const INFERENCE_BATCH = {
  /** Rows per forward pass at most (`--batch-size`). */
  maxRows: 32,
  /** Padded tokens (rows × longest row) per forward pass at most. */
  maxTokens: 2048,
} as const;

export interface BatchPlanOptions {
  /** Rows per batch at most (default {@link INFERENCE_BATCH}.maxRows). */
  maxRows?: number;
  /** Padded tokens per batch at most (default {@link INFERENCE_BATCH}.maxTokens); a longer single row still gets its own batch. */
  maxTokens?: number;
}

function positiveInt(flag: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`${flag} must be a positive whole number, got ${v}`);
  return v;
}

/**
 * Batches of row indices `0..lengths.length-1` in order of increasing length (ties keep input
 * order), each within the row and token limits. Every index appears exactly once.
 */
export function planBatches(lengths: readonly number[], options: BatchPlanOptions = {}): number[][] {
  const maxRows = positiveInt('--batch-size', options.maxRows ?? INFERENCE_BATCH.maxRows);
  const maxTokens = positiveInt('--max-batch-tokens', options.maxTokens ?? INFERENCE_BATCH.maxTokens);
  const order = Array.from(lengths, (_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const batches: number[][] = [];
  let batch: number[] = [];
  for (const i of order) {
    // Sorted ascending, so the new row is the longest: the batch would pad to its length.
    const longest = Math.max(1, lengths[i]!);
    if (batch.length > 0 && (batch.length + 1 > maxRows || (batch.length + 1) * longest > maxTokens)) {
      batches.push(batch);
      batch = [];
    }
    batch.push(i);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Runs `run` on each planned batch and writes its `width` values per row back at the rows' input
 * positions: the result is [N, width] in input order, whatever order the batches ran in.
 */
export async function runPlanned(
  plan: readonly (readonly number[])[],
  total: number,
  width: number,
  run: (indices: readonly number[]) => Promise<Float32Array>,
  onBatch?: (done: number) => void,
): Promise<Float32Array> {
  const out = new Float32Array(total * width);
  let done = 0;
  for (const idx of plan) {
    const values = await run(idx);
    if (values.length !== idx.length * width) throw new Error(`a batch of ${idx.length} rows returned ${values.length} values, expected ${idx.length * width}`);
    idx.forEach((i, r) => out.set(values.subarray(r * width, (r + 1) * width), i * width));
    done += idx.length;
    onBatch?.(done);
  }
  return out;
}
