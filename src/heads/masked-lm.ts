import type { TensorOps } from '../models/ops.js';
import { bertForward, type BertInputs, type ParamMap } from '../models/bert/bert.js';
import type { BertConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';
import { initParam } from '../models/bert/init-param.js';
import { Rng } from '../data/random.js';
import { BertftError } from '../errors.js';
import { embeddingWidth, familyOf, type MaskedLmSpec } from '../models/bert/family.js';
import { activate } from '../models/bert/bert.js';

/**
 * The masked-LM head of Hugging Face's `BertForMaskedLM` (`BertOnlyMLMHead`):
 *   h → dense(H→E) → GELU → LayerNorm(E) → · word_embeddingsᵀ + bias
 * and of the other families' `<Family>ForMaskedLM`, which differ only in names, activation,
 * width (E = the embedding width: H but for ALBERT and ELECTRA's generator) and whether the
 * transform has biases (not ModernBERT's `head`), all as data in the family spec (`maskedLm`,
 * models/bert/family.ts). The decoder is tied to the word embeddings,
 * so the head's own parameters are the transform and the output bias. Logits are computed only at the masked positions (a flat index into the
 * [B·S] token rows), which is what makes pre-training with a 30k vocabulary affordable.
 */

/** The head's own parameters with the transform's biases (the decoder weight is `embeddings.word_embeddings.weight`). */
export const MASKED_LM_PARAMS = [
  'cls.predictions.transform.dense.weight',
  'cls.predictions.transform.dense.bias',
  'cls.predictions.transform.LayerNorm.weight',
  'cls.predictions.transform.LayerNorm.bias',
  'cls.predictions.bias',
] as const;

/** The tied decoder weight's name in the encoder (BERT's layer stack; see {@link tiedDecoder}). */
export const TIED_DECODER = 'embeddings.word_embeddings.weight';

/** The encoder parameter the config's decoder is tied to: {@link TIED_DECODER}, or the family's (ModernBERT's `embeddings.tok_embeddings.weight`). */
export function tiedDecoder(cfg: Pick<BertConfig, 'family'>): string {
  return familyOf(cfg).maskedLm?.tiedTo ?? TIED_DECODER;
}

const TRANSFORM_BIASES = new Set<string>(['cls.predictions.transform.dense.bias', 'cls.predictions.transform.LayerNorm.bias']);

/** The head's own parameters in the config's family: {@link MASKED_LM_PARAMS}, less the transform's biases where it has none (ModernBERT). */
export function maskedLmParamNames(cfg: BertConfig): string[] {
  const spec = checkMaskedLmFamily(cfg);
  return MASKED_LM_PARAMS.filter((n) => spec.transformBiases !== false || !TRANSFORM_BIASES.has(n));
}

/** Whether a parameter belongs to the masked-LM head. */
export const isMaskedLmParam = (name: string): boolean => name.startsWith('cls.predictions.');

export function maskedLmParamShape(cfg: BertConfig, name: string): number[] {
  const E = embeddingWidth(cfg);
  switch (name) {
    case 'cls.predictions.transform.dense.weight':
      return [E, cfg.hiddenSize];
    case 'cls.predictions.bias':
      return [cfg.vocabSize];
    default:
      return [E];
  }
}

/** A fresh head as `BertPreTrainedModel._init_weights` makes it: N(0, initializer_range) dense, LayerNorm 1/0, zero biases. */
export function initMaskedLmHead(cfg: BertConfig, seed: number): Map<string, HostTensor> {
  const rng = new Rng(seed);
  return new Map(maskedLmParamNames(cfg).map((n) => [n, initParam(n, maskedLmParamShape(cfg, n), cfg, rng)]));
}

/** The family's masked-LM head; a family without one is refused on one line rather than run half. */
export function checkMaskedLmFamily(cfg: BertConfig): MaskedLmSpec {
  const spec = familyOf(cfg).maskedLm;
  if (!spec) {
    throw new BertftError(
      `model_type "${familyOf(cfg).modelType}": masked LM (pretrain, DAPT, fill-mask, MLM scoring) is not supported yet; fine-tune a sequence classifier on it instead`,
    );
  }
  return spec;
}

function required<T>(params: ParamMap<T>, name: string): T {
  const p = params.get(name);
  if (p === undefined) throw new Error(`masked-LM parameter missing: ${name}`);
  return p;
}

/**
 * Logits [M, V] at the masked positions, encoder included: `positions` is an integer tensor [M] of
 * flat row indices b·S + s, and the encoder computes its last layer for those rows only (bert.ts
 * `rows`). `headParams` maps the head's names when its decoder is stored untied (default `params`).
 */
export function maskedLmLogits<T>(
  ops: TensorOps<T>,
  cfg: BertConfig,
  params: ParamMap<T>,
  inputs: BertInputs<T>,
  positions: T,
  headParams: ParamMap<T> = params,
): T {
  return predictionHead(ops, cfg, headParams, bertForward(ops, cfg, params, inputs, { rows: positions }).sequenceOutput);
}

/**
 * Logits [B, S, V] at every position, as `BertForMaskedLM` returns them (inference graphs and the
 * fill-mask export; training uses {@link maskedLmLogits}, which skips the unmasked rows).
 */
export function maskedLmSequenceLogits<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, sequenceOutput: T): T {
  return predictionHead(ops, cfg, params, sequenceOutput);
}

/** The head itself on hidden states [..., H] → logits [..., V]: the one place its math is written. */
function predictionHead<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, hidden: T): T {
  const spec = checkMaskedLmFamily(cfg);
  const bias = (name: string) => (spec.transformBiases === false ? undefined : required(params, name));
  const dense = ops.linear(hidden, required(params, 'cls.predictions.transform.dense.weight'), bias('cls.predictions.transform.dense.bias'));
  const act = spec.activation === 'hidden_act' ? cfg.hiddenAct : (cfg.modernBert?.classifierActivation ?? 'gelu');
  const transformed = ops.layerNorm(
    spec.activation === 'gelu' ? ops.gelu(dense) : activate(ops, act, dense),
    required(params, 'cls.predictions.transform.LayerNorm.weight'),
    bias('cls.predictions.transform.LayerNorm.bias'),
    spec.layerNormEps ?? cfg.layerNormEps,
  );
  return ops.linear(transformed, required(params, tiedDecoder(cfg)), required(params, 'cls.predictions.bias'));
}

/**
 * Mean cross-entropy over the masked positions. `targetIndex` [M] holds m·V + label_m, the flat
 * index of each row's target in the [M·V] log-probabilities (see {@link flatTargetIndex}), so the
 * loss needs a gather, not an [M, V] one-hot.
 */
export function maskedLmLoss<T>(ops: TensorOps<T>, logits: T, targetIndex: T): T {
  const picked = ops.embedding(ops.reshape(ops.logSoftmax(logits), [-1, 1]), targetIndex);
  return ops.affine(ops.mean(ops.reshape(picked, [-1]), 0), -1);
}

/** m·V + label_m for each masked row: the gather index {@link maskedLmLoss} takes. */
export function flatTargetIndex(labels: ArrayLike<number>, vocabSize: number): Int32Array {
  const out = new Int32Array(labels.length);
  for (let m = 0; m < labels.length; m++) out[m] = m * vocabSize + labels[m]!;
  return out;
}

/** Host-side loss and accuracy of logits [M, V] against labels, in float64. */
export function maskedLmScores(logits: Float32Array, labels: ArrayLike<number>, vocabSize: number): { lossSum: number; correct: number; count: number } {
  let lossSum = 0;
  let correct = 0;
  for (let m = 0; m < labels.length; m++) {
    const row = logits.subarray(m * vocabSize, (m + 1) * vocabSize);
    let max = -Infinity;
    let arg = 0;
    for (let v = 0; v < vocabSize; v++) {
      if (row[v]! > max) {
        max = row[v]!;
        arg = v;
      }
    }
    let sum = 0;
    for (let v = 0; v < vocabSize; v++) sum += Math.exp(row[v]! - max);
    lossSum += max + Math.log(sum) - row[labels[m]!]!;
    if (arg === labels[m]) correct += 1;
  }
  return { lossSum, correct, count: labels.length };
}
