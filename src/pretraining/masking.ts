import { Rng } from '../data/random.js';
import type { TokenBatch } from '../tokenization/index.js';
import { flatTargetIndex } from '../heads/masked-lm.js';
import type { MaskedTargets } from '../engine/types.js';

/**
 * Dynamic masking, as BERT and Hugging Face's DataCollatorForLanguageModeling do it: every batch
 * draws fresh masks. Each real, non-special token is selected with probability `rate`; a selected
 * token becomes [MASK] with probability 0.8, a random token with 0.1, and stays as it is with 0.1.
 * With whole-word masking the draw is per word (a word-initial piece and its `##` continuations
 * are selected together). The draw depends only on (seed, step, micro-batch), so a resumed run
 * masks exactly as an uninterrupted one.
 */

export interface MaskingOptions {
  /** Selection probability per token (or per word); BERT's 0.15. */
  rate: number;
  wholeWord: boolean;
  maskId: number;
  vocabSize: number;
  /** Ids never selected ([CLS], [SEP], [PAD], …). */
  specialIds: ReadonlySet<number>;
  /** Whether an id is a `##` continuation piece (whole-word masking only). */
  isContinuation?: (id: number) => boolean;
}

/** The masking stream's seed for one micro-batch of one step. */
export function maskSeed(seed: number, step: number, microBatch: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b) ^ Math.imul(microBatch + 1, 0xc2b2ae35)) >>> 0;
}

/**
 * Masks a batch: returns the tokens with masked input ids (a copy; the batch is not changed) and
 * the masked positions with their original ids. At least one token is masked in any batch that has
 * a maskable token, so the loss is always defined.
 */
export function maskBatch(batch: TokenBatch, options: MaskingOptions, seed: number): { tokens: TokenBatch; masked: MaskedTargets } {
  const rng = new Rng(seed);
  const ids = batch.inputIds;
  const inputIds = Int32Array.from(ids);
  const positions: number[] = [];
  const maskable = (i: number) => batch.attentionMask[i] === 1 && !options.specialIds.has(ids[i]!);
  const selected = new Uint8Array(ids.length);
  let firstMaskable = -1;
  let selectWord = false;
  for (let i = 0; i < ids.length; i++) {
    if (!maskable(i)) continue;
    if (firstMaskable < 0) firstMaskable = i;
    const continues =
      options.wholeWord && options.isContinuation !== undefined && i % batch.seqLength !== 0 && maskable(i - 1) && options.isContinuation(ids[i]!);
    if (!continues) selectWord = rng.next() < options.rate;
    if (selectWord) selected[i] = 1;
  }
  if (firstMaskable >= 0 && !selected.includes(1)) selected[firstMaskable] = 1;
  for (let i = 0; i < ids.length; i++) {
    if (!selected[i]) continue;
    positions.push(i);
    const r = rng.next();
    if (r < 0.8) inputIds[i] = options.maskId;
    else if (r < 0.9) inputIds[i] = Math.floor(rng.next() * options.vocabSize);
  }
  const labels = Int32Array.from(positions, (p) => ids[p]!);
  return {
    tokens: { ...batch, inputIds },
    masked: { positions: Int32Array.from(positions), labels, targetIndex: flatTargetIndex(labels, options.vocabSize) },
  };
}
