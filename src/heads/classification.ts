import type { TensorOps } from '../models/ops.js';
import { activate, pooledFeatures, type BertInputs, type ParamMap, type Pooling } from '../models/bert/bert.js';
import type { BertConfig } from '../models/bert/config.js';
import { familyOf, type HeadKind } from '../models/bert/family.js';
import type { HostTensor } from '../models/host-tensor.js';
import { initParam } from '../models/bert/init-param.js';
import { Rng } from '../data/random.js';
import { meanSquaredError, sigmoidBinaryCrossEntropy, softmaxCrossEntropy } from './losses.js';

/**
 * The sequence-classification head of Hugging Face's `BertForSequenceClassification`:
 *   pooled features [B, H] → dropout → dense(H→C) → logits [B, C]
 * with weights named `classifier.weight` [C, H] and `classifier.bias` [C] (ALBERT's head too). C is
 * the number of labels, or 1 for regression. The other families' heads (family.ts `head`) work on the same
 * features with their own names: `classifier.dense` (H→H) → tanh or gelu → `classifier.out_proj`
 * (H→C) for RoBERTa, XLM-R and ELECTRA, `pre_classifier` (H→H) → ReLU → `classifier` for
 * DistilBERT. This module is the one place that knows those names, how the head starts, computes,
 * trains (the loss per problem type) and scores; everything else goes through the exports below.
 * (heads/masked-lm.ts is the masked-LM head, written to the same template.)
 */

/** The Hugging Face `problem_type` values: what the head's loss and scores are. */
export type ProblemType = 'single_label_classification' | 'multi_label_classification' | 'regression';
export const PROBLEM_TYPES: readonly ProblemType[] = ['single_label_classification', 'multi_label_classification', 'regression'];

export const CLASSIFIER_WEIGHT = 'classifier.weight';
export const CLASSIFIER_BIAS = 'classifier.bias';
/** The head's parameters, as Hugging Face names them (unprefixed, beside the `bert.` encoder). */
export const CLASSIFIER_PARAMS = [CLASSIFIER_WEIGHT, CLASSIFIER_BIAS] as const;

/** Whether a parameter belongs to the classification head (of any family). */
export const isClassifierParam = (name: string): boolean => name.startsWith('classifier.') || name.startsWith('pre_classifier.') || name.startsWith('head.');

/** The head's linear layers, in state-dict order of each: [name, output width] with `C` for the labels. */
const HEAD_LAYERS: Record<HeadKind, readonly (readonly [string, 'H' | 'C'])[]> = {
  linear: [['classifier', 'C']],
  'dense-tanh-out': [
    ['classifier.dense', 'H'],
    ['classifier.out_proj', 'C'],
  ],
  'dense-gelu-out': [
    ['classifier.dense', 'H'],
    ['classifier.out_proj', 'C'],
  ],
  'pre-relu': [
    ['pre_classifier', 'H'],
    ['classifier', 'C'],
  ],
  'dense-act-norm': [
    ['head.dense', 'H'],
    ['head.norm', 'H'],
    ['classifier', 'C'],
  ],
};

/** Parameters a head's layer has: ModernBERT's `head.dense` and `head.norm` have no bias. */
const layerParams = (kind: HeadKind, layer: string) => (kind === 'dense-act-norm' && layer.startsWith('head.') ? ['weight'] : ['weight', 'bias']);

/** The head's parameter names for a config's family (BERT: {@link CLASSIFIER_PARAMS}). */
export function classifierParamNames(cfg: BertConfig, kind: HeadKind = familyOf(cfg).head): string[] {
  return HEAD_LAYERS[kind].flatMap(([layer]) => layerParams(kind, layer).map((p) => `${layer}.${p}`));
}

/** Number of logits: one per class, or 1 for regression. */
export function numOutputs(problem: ProblemType, labels: readonly string[]): number {
  return problem === 'regression' ? 1 : labels.length;
}

export function classifierParamShape(cfg: BertConfig, numLabels: number, name: string, kind: HeadKind = familyOf(cfg).head): number[] {
  const layer = HEAD_LAYERS[kind].find(([l]) => name === `${l}.weight` || name === `${l}.bias`);
  if (layer === undefined) throw new Error(`${name} is not a parameter of this family's classification head`);
  const out = layer[1] === 'C' ? numLabels : cfg.hiddenSize;
  return name.endsWith('.weight') && layer[0] !== 'head.norm' ? [out, cfg.hiddenSize] : [out];
}

/** The number of outputs C of a head's tensors (undefined when its output layer is absent). */
export function classifierWidth(head: ReadonlyMap<string, HostTensor>): number | undefined {
  return (head.get('classifier.out_proj.weight') ?? head.get(CLASSIFIER_WEIGHT))?.shape[0];
}

/** A fresh head as `<Family>PreTrainedModel._init_weights` makes it: weights ~ N(0, initializer_range), biases = 0. */
export function initClassifierHead(cfg: BertConfig, numLabels: number, seed: number, kind: HeadKind = familyOf(cfg).head): Map<string, HostTensor> {
  const rng = new Rng(seed);
  return new Map(classifierParamNames(cfg, kind).map((n) => [n, initParam(n, classifierParamShape(cfg, numLabels, n, kind), cfg, rng)]));
}

/** Splits a flat parameter map into encoder weights and the head. */
export function splitClassifierParams<T>(weights: ReadonlyMap<string, T>): { encoder: Map<string, T>; head: Map<string, T> } {
  const encoder = new Map<string, T>();
  const head = new Map<string, T>();
  for (const [n, t] of weights) (isClassifierParam(n) ? head : encoder).set(n, t);
  return { encoder, head };
}

/** The dropout rate before (and inside) the head: the family's classifier dropout, else the hidden dropout. */
export function classifierDropoutOf(cfg: BertConfig): number {
  return cfg.classifierDropout ?? cfg.hiddenDropoutProb;
}

/**
 * The head on pooled features [B, H] → logits [B, C]: the one place its math is written, for the
 * family of `cfg` (the whole model, and the frozen strategy's head on cached features, call it).
 * `kind` is the family's sequence head unless given: the token-classification head
 * (heads/token-classification.ts) is one of these layouts applied to every token's hidden state.
 */
export function classifierLogits<T>(
  ops: TensorOps<T>,
  params: ParamMap<T>,
  features: T,
  dropoutRate: number,
  cfg: BertConfig,
  kind: HeadKind = familyOf(cfg).head,
): T {
  const names = classifierParamNames(cfg, kind);
  const missing = names.filter((n) => !params.has(n));
  if (missing.length > 0) throw new Error(`classification head parameters missing (${missing.join(', ')})`);
  const dense = (layer: string, x: T) => ops.linear(x, params.get(`${layer}.weight`)!, params.get(`${layer}.bias`));
  switch (kind) {
    case 'linear':
      return dense('classifier', ops.dropout(features, dropoutRate));
    case 'dense-tanh-out':
      return dense('classifier.out_proj', ops.dropout(ops.tanh(dense('classifier.dense', ops.dropout(features, dropoutRate))), dropoutRate));
    case 'dense-gelu-out':
      return dense('classifier.out_proj', ops.dropout(ops.gelu(dense('classifier.dense', ops.dropout(features, dropoutRate))), dropoutRate));
    case 'pre-relu':
      return dense('classifier', ops.dropout(ops.relu(dense('pre_classifier', features)), dropoutRate));
    case 'dense-act-norm': {
      const act = activate(ops, cfg.modernBert?.classifierActivation ?? 'gelu', dense('head.dense', features));
      return dense('classifier', ops.dropout(ops.layerNorm(act, params.get('head.norm.weight')!, undefined, cfg.layerNormEps), dropoutRate));
    }
  }
}

/** `<Family>ForSequenceClassification`: encoder → pooled features → the family's head. Returns logits [B, C]. */
export function sequenceClassifierLogits<T>(
  ops: TensorOps<T>,
  cfg: BertConfig,
  params: ParamMap<T>,
  inputs: BertInputs<T>,
  pooling: Pooling,
  classifierDropout: number = classifierDropoutOf(cfg),
): T {
  const features = pooledFeatures(ops, cfg, params, inputs, pooling);
  return classifierLogits(ops, params, features, classifierDropout, cfg);
}

/**
 * The training objective for a problem type, written over TensorOps so every engine shares it.
 * Targets are one-hot rows (single), 0/1 rows (multi) or values (regression); `classWeights` [C]
 * (single-label only) rescales each example's cross-entropy by its class weight.
 */
export function classifierLoss<T>(ops: TensorOps<T>, problem: ProblemType, logits: T, targets: T, classWeights?: T): T {
  switch (problem) {
    case 'single_label_classification':
      return softmaxCrossEntropy(ops, logits, targets, classWeights);
    case 'multi_label_classification':
      return sigmoidBinaryCrossEntropy(ops, logits, targets);
    case 'regression':
      return meanSquaredError(ops, logits, targets);
  }
}

/** Scores from logits [N, width] on the host: softmax rows (single), sigmoids (multi), the raw value (regression). */
export function classifierScores(logits: Float32Array, width: number, problem: ProblemType): Float32Array {
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
 * {@link classifierLoss} on the host, in float64, from logits and target rows: the mean over the
 * examples, with the same class weights as training when given (evaluation needs no engine round trip).
 */
export function classifierHostLoss(problem: ProblemType, logits: Float32Array, targets: Float32Array, width: number, classWeights?: ArrayLike<number>): number {
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
