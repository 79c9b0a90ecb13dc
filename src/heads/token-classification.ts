import type { TensorOps } from '../models/ops.js';
import { gatherRows, type ParamMap } from '../models/bert/bert.js';
import type { BertConfig } from '../models/bert/config.js';
import { familyOf } from '../models/bert/family.js';
import type { HostTensor } from '../models/host-tensor.js';
import { classifierDropoutOf, classifierLogits, classifierParamNames, classifierParamShape, initClassifierHead } from './classification.js';
import { maskedLmLoss } from './masked-lm.js';

/**
 * The token-classification head of Hugging Face's `<Family>ForTokenClassification`: every token's
 * last hidden state → dropout → `classifier` (H→C), or for ModernBERT `head` (dense → act → norm) →
 * dropout → `classifier`, as the family spec says (family.ts `tokenClassifier`). The layouts are those
 * of the sequence heads (heads/classification.ts), applied per token instead of to pooled features,
 * so their names and math live there once.
 *
 * Training scores only the labelled tokens (the first piece of each word): a flat index b·S + s
 * into the [B·S] token rows, as the masked-LM head does, and the loss is the mean cross-entropy
 * over them, which is what HF's `CrossEntropyLoss` with `ignore_index=-100` computes.
 */

/** The label id HF gives tokens the loss ignores (special tokens, continuation pieces). */
export const IGNORED_LABEL = -100;

/** The head layout of the config's family for token classification. */
export const tokenHeadKind = (cfg: BertConfig) => familyOf(cfg).tokenClassifier.head;

/** The head's parameter names (`classifier.weight`, `classifier.bias`; ModernBERT adds `head.dense`, `head.norm`). */
export function tokenClassifierParamNames(cfg: BertConfig): string[] {
  return classifierParamNames(cfg, tokenHeadKind(cfg));
}

export function tokenClassifierParamShape(cfg: BertConfig, numLabels: number, name: string): number[] {
  return classifierParamShape(cfg, numLabels, name, tokenHeadKind(cfg));
}

/** A fresh head as `_init_weights` makes it: weights ~ N(0, initializer_range), biases 0, norms 1. */
export function initTokenClassifierHead(cfg: BertConfig, numLabels: number, seed: number): Map<string, HostTensor> {
  return initClassifierHead(cfg, numLabels, seed, tokenHeadKind(cfg));
}

/** The dropout before the head: the classifier's rate, or the hidden dropout where the family's token model uses that. */
export function tokenClassifierDropoutOf(cfg: BertConfig): number {
  return familyOf(cfg).tokenClassifier.dropout === 'hidden' ? cfg.hiddenDropoutProb : classifierDropoutOf(cfg);
}

/** Logits [..., C] of hidden states [..., H]: [B, S, H] for a whole batch (inference), [M, H] for gathered rows. */
export function tokenClassifierLogits<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, hidden: T, dropoutRate = tokenClassifierDropoutOf(cfg)): T {
  return classifierLogits(ops, params, hidden, dropoutRate, cfg, tokenHeadKind(cfg));
}

/**
 * Logits [M, C] at the labelled tokens: `positions` [M] are flat row indices b·S + s. The head runs
 * on every token, as in HF, and the rows are gathered after it: the dropout before the head then
 * has the sequence's shape [B, S, H], so its masks are fixed by (seed, step) like the encoder's.
 */
export function labelledTokenLogits<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, sequenceOutput: T, positions: T, numLabels: number): T {
  return gatherRows(ops, tokenClassifierLogits(ops, cfg, params, sequenceOutput), positions, numLabels);
}

/**
 * Class-weighted cross-entropy over the labelled tokens, as PyTorch's `CrossEntropyLoss(weight=w)`
 * computes it: Σ_m w_{y_m}·nll_m / Σ_m w_{y_m}. `rowWeights` [M] holds w_{y_m} / Σ w (normalised on
 * the host), so the graph is a gather, a product and a sum. (Without class weights the engines use
 * heads/masked-lm.ts `maskedLmLoss`, the plain mean, with the same flat target index.)
 */
export function weightedTokenLoss<T>(ops: TensorOps<T>, logits: T, targetIndex: T, rowWeights: T): T {
  const picked = ops.reshape(ops.embedding(ops.reshape(ops.logSoftmax(logits), [-1, 1]), targetIndex), [-1]);
  return ops.affine(ops.sum(ops.mul(picked, rowWeights), 0), -1);
}

/**
 * The training loss of a batch's labelled tokens from the hidden states [B, S, H]: the plain mean
 * cross-entropy, or with `rowWeights` the class-weighted one. The TF.js engines (the whole model's
 * and the frozen head on cached hidden states) both train through here.
 */
export function labelledTokenLoss<T>(
  ops: TensorOps<T>,
  cfg: BertConfig,
  params: ParamMap<T>,
  sequenceOutput: T,
  numLabels: number,
  at: { positions: T; targetIndex: T; rowWeights?: T },
): T {
  const logits = labelledTokenLogits(ops, cfg, params, sequenceOutput, at.positions, numLabels);
  return at.rowWeights ? weightedTokenLoss(ops, logits, at.targetIndex, at.rowWeights) : maskedLmLoss(ops, logits, at.targetIndex);
}

/** w_{y_m} / Σ_m w_{y_m} for each labelled token (the `rowWeights` of {@link weightedTokenLoss}). */
export function normalisedRowWeights(labels: ArrayLike<number>, classWeights: ArrayLike<number>): Float32Array {
  const out = new Float32Array(labels.length);
  let total = 0;
  for (let m = 0; m < labels.length; m++) total += classWeights[labels[m]!]!;
  for (let m = 0; m < labels.length; m++) out[m] = classWeights[labels[m]!]! / (total || 1);
  return out;
}

/** Host-side loss of logits [M, C] against labels, in float64: the plain mean, or the class-weighted mean of {@link weightedTokenLoss}. */
export function tokenHostLoss(logits: Float32Array, labels: ArrayLike<number>, numLabels: number, classWeights?: ArrayLike<number>): number {
  let lossSum = 0;
  let weightSum = 0;
  for (let m = 0; m < labels.length; m++) {
    const row = logits.subarray(m * numLabels, (m + 1) * numLabels);
    let max = -Infinity;
    for (let c = 0; c < numLabels; c++) max = Math.max(max, row[c]!);
    let sum = 0;
    for (let c = 0; c < numLabels; c++) sum += Math.exp(row[c]! - max);
    const w = classWeights?.[labels[m]!] ?? 1;
    lossSum += w * (max + Math.log(sum) - row[labels[m]!]!);
    weightSum += w;
  }
  return weightSum === 0 ? 0 : lossSum / weightSum;
}
