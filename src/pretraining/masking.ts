import { Rng } from '../data/random.js';
import type { TokenBatch } from '../tokenization/index.js';
import { flatTargetIndex } from '../heads/masked-lm.js';
import type { MaskedTargets } from '../engine/types.js';

/**
 * Dynamic masking, as BERT and Hugging Face's DataCollatorForLanguageModeling do it: every batch
 * draws fresh masks. Each real, non-special token is selected with probability `rate`; a selected
 * token becomes [MASK] with probability 0.8, a random token with 0.1, and stays as it is with 0.1.
 * With whole-word masking the draw is per word: a word's first piece and the pieces that continue
 * it are selected together. Words are the tokenizer's own (its word ids, which the corpus keeps as
 * one flag a piece: {@link WordBatch.continues}); for WordPiece that is a piece and its `##` pieces.
 * The draw depends only on (seed, step, micro-batch), so a resumed run masks exactly as an
 * uninterrupted one.
 */

/** A token batch that may carry, per token, whether it continues the word of the token before it. */
export interface WordBatch extends TokenBatch {
  /** Row-major like inputIds: 1 where the token continues the previous token's word (tokenizer word ids), else 0. */
  continues?: Uint8Array;
}

export interface MaskingOptions {
  /** Selection probability per token (or per word); BERT's 0.15. */
  rate: number;
  wholeWord: boolean;
  maskId: number;
  vocabSize: number;
  /** Ids never selected ([CLS], [SEP], [PAD], …). */
  specialIds: ReadonlySet<number>;
  /**
   * Whether an id is a continuation piece, from the piece alone (whole-word masking of a batch
   * without {@link WordBatch.continues} only; exact for WordPiece's `##`, not for byte-level BPE).
   */
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
export function maskBatch(batch: WordBatch, options: MaskingOptions, seed: number): { tokens: TokenBatch; masked: MaskedTargets } {
  const rng = new Rng(seed);
  const { continues: flags, ...tokenBatch } = batch;
  const ids = batch.inputIds;
  if (flags && flags.length !== ids.length) throw new Error(`maskBatch: ${flags.length} word flags for ${ids.length} tokens`);
  const inputIds = Int32Array.from(ids);
  const positions: number[] = [];
  const maskable = (i: number) => batch.attentionMask[i] === 1 && !options.specialIds.has(ids[i]!);
  const selected = new Uint8Array(ids.length);
  let firstMaskable = -1;
  let selectWord = false;
  // Word-id flags where the batch has them, else the piece rule; no word continues across a special token.
  const { wholeWord, isContinuation } = options;
  let continuesWord: ((i: number) => boolean) | undefined;
  if (wholeWord && flags) continuesWord = (i) => flags[i] === 1;
  else if (wholeWord && isContinuation) continuesWord = (i) => isContinuation(ids[i]!);
  for (let i = 0; i < ids.length; i++) {
    if (!maskable(i)) continue;
    if (firstMaskable < 0) firstMaskable = i;
    const continues = continuesWord !== undefined && i % batch.seqLength !== 0 && maskable(i - 1) && continuesWord(i);
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
    tokens: { ...tokenBatch, inputIds },
    masked: { positions: Int32Array.from(positions), labels, targetIndex: flatTargetIndex(labels, options.vocabSize) },
  };
}
