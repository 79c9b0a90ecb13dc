import * as tf from '@tensorflow/tfjs-core';
import type { TokenBatch } from '../../tokenization/index.js';
import { labelledTokenLoss, tokenClassifierLogits } from '../../heads/token-classification.js';
import type { TrainBatch, TrainingEngine } from '../types.js';
import { TfjsFrozenHeadBase, type TfjsFrozenHeadOptions } from './head-engine.js';

/**
 * The feature row a padding token points at. The feature builder (training/token-features.ts) keeps
 * it all zeros; its logits are never read (evaluation and the loss look at real tokens only).
 */
export const PADDING_FEATURE_ROW = 0;

export interface TfjsTokenHeadEngineOptions extends TfjsFrozenHeadOptions {
  numLabels: number;
}

/**
 * The `frozen` strategy's engine for token classification: the encoder's last hidden state of every
 * token is computed once, and only `<Family>ForTokenClassification`'s head trains on it.
 *
 * The contract, which keeps the token-classification objective, collate and evaluation unchanged:
 * `features` is [N, H], one row per token of every window (train windows, then validation ones) and
 * {@link PADDING_FEATURE_ROW}; a batch's `inputIds` [B, S] are row indices into it instead of
 * word-piece ids (padding → PADDING_FEATURE_ROW, which is what collate pads with when the set's
 * `padId` is that row). Gathering them gives the hidden states [B, S, H] the whole model would
 * compute, so `masked.positions` (b·S + s) address the same tokens, `logits()` returns [B, S, C] and
 * the head's dropout has the sequence's shape, as in the full engines. The attention mask and type
 * ids are unused: they shaped the features when those were computed.
 */
export class TfjsTokenHeadEngine extends TfjsFrozenHeadBase implements TrainingEngine {
  readonly name = 'tfjs-token-head';

  constructor(private readonly options: TfjsTokenHeadEngineOptions) {
    // Class weights come per labelled token in each batch's `targets` (TokenClassificationObjective).
    super(options, undefined);
  }

  /** The frozen encoder's hidden states [B, S, H] of a batch of feature-row ids. */
  private hidden(tokens: TokenBatch): tf.Tensor {
    const rows = tf.gather(this.features, tf.tensor1d(tokens.inputIds, 'int32'));
    return tf.reshape(rows, [tokens.batchSize, tokens.seqLength, this.options.config.hiddenSize]);
  }

  protected lossOf(batch: TrainBatch): tf.Scalar {
    if (!batch.masked) throw new Error('a token-classification batch needs its labelled positions (TrainBatch.masked)');
    const { config, numLabels } = this.options;
    const positions = tf.tensor1d(batch.masked.positions, 'int32');
    const targetIndex = tf.tensor1d(batch.masked.targetIndex, 'int32');
    const rowWeights = batch.targets.length > 0 ? tf.tensor1d(batch.targets) : undefined;
    return labelledTokenLoss(this.ops, config, this.params, this.hidden(batch.tokens), numLabels, { positions, targetIndex, rowWeights }) as tf.Scalar;
  }

  protected forwardLogits(tokens: TokenBatch): tf.Tensor {
    return tokenClassifierLogits(this.ops, this.options.config, this.params, this.hidden(tokens));
  }
}
