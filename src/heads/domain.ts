import type { TensorOps } from '../models/ops.js';
import type { ParamMap } from '../models/bert/bert.js';
import type { BertConfig } from '../models/bert/config.js';
import type { HostTensor } from '../models/host-tensor.js';
import { initParam } from '../models/bert/init-param.js';
import { Rng } from '../data/random.js';
import { sigmoidBinaryCrossEntropy } from './losses.js';

/**
 * The domain objectives of unsupervised domain adaptation, on the pooled features [B, H] of a batch
 * that mixes labelled source rows with unlabelled target rows (src/adaptation/ picks the method):
 *
 * - DANN's domain discriminator (Ganin & Lempitsky 2015): features → dense(H→H) → GELU →
 *   dense(H→1) → one logit, "is this row from the target domain?", trained with binary
 *   cross-entropy. The engine puts a gradient-reversal layer between the features and this head,
 *   so the encoder learns features the discriminator cannot separate.
 * - Deep CORAL (Sun & Saenko 2016): ||C_s − C_t||²_F / 4d², the distance between the source and
 *   target feature covariances, added to the class loss.
 *
 * Like heads/classification.ts, this module is the one place that knows the discriminator's
 * names, init, math, loss and score. Its parameters train with the task but are never saved in the
 * model folder (the discriminator is a training device, not part of the classifier).
 */

export const DOMAIN_PARAMS = [
  'domain_classifier.dense.weight',
  'domain_classifier.dense.bias',
  'domain_classifier.out.weight',
  'domain_classifier.out.bias',
] as const;

/** Whether a parameter belongs to the domain discriminator. */
export const isDomainParam = (name: string): boolean => name.startsWith('domain_classifier.');

export function domainParamShape(cfg: BertConfig, name: string): number[] {
  const H = cfg.hiddenSize;
  switch (name) {
    case 'domain_classifier.dense.weight':
      return [H, H];
    case 'domain_classifier.dense.bias':
      return [H];
    case 'domain_classifier.out.weight':
      return [1, H];
    default:
      return [1];
  }
}

/** A fresh discriminator, initialised as BERT initialises dense layers: N(0, initializer_range), zero biases. */
export function initDomainHead(cfg: BertConfig, seed: number): Map<string, HostTensor> {
  const rng = new Rng(seed);
  return new Map(DOMAIN_PARAMS.map((n) => [n, initParam(n, domainParamShape(cfg, n), cfg, rng)]));
}

function required<T>(params: ParamMap<T>, name: string): T {
  const p = params.get(name);
  if (p === undefined) throw new Error(`domain discriminator parameter missing: ${name}`);
  return p;
}

/** The discriminator on (gradient-reversed) features [B, H] → logits [B, 1] (positive = target domain). */
export function domainLogits<T>(ops: TensorOps<T>, params: ParamMap<T>, features: T): T {
  const hidden = ops.gelu(ops.linear(features, required(params, 'domain_classifier.dense.weight'), required(params, 'domain_classifier.dense.bias')));
  return ops.linear(hidden, required(params, 'domain_classifier.out.weight'), required(params, 'domain_classifier.out.bias'));
}

/** Mean binary cross-entropy of the domain logits [B, 1] against domain labels [B, 1] (1 = target). */
export function domainLoss<T>(ops: TensorOps<T>, logits: T, domainLabels: T): T {
  return sigmoidBinaryCrossEntropy(ops, logits, domainLabels);
}

/**
 * Deep CORAL: ||C_s − C_t||²_F / (4d²) between the covariances of the rows of `features` [B, d]
 * selected by `sourceMask` [B, 1] (1 = source) and by its complement. Masks rather than slices keep
 * both halves in one batch of any split; each side needs at least two rows (unbiased covariance).
 */
export function coralLoss<T>(ops: TensorOps<T>, features: T, sourceMask: T, width: number): T {
  const targetMask = ops.affine(sourceMask, -1, 1);
  const covariance = (mask: T) => {
    const n = ops.sum(mask, 0); // [1]
    const mean = ops.div(ops.sum(ops.mul(features, mask), 0, true), n); // [1, d]
    const centered = ops.mul(ops.sub(features, mean), mask); // rows of the other domain are 0
    return ops.div(ops.matmul(ops.transpose(centered, [1, 0]), centered), ops.affine(n, 1, -1)); // [d, d]
  };
  const diff = ops.sub(covariance(sourceMask), covariance(targetMask));
  return ops.affine(ops.sum(ops.sum(ops.mul(diff, diff), 1), 0), 1 / (4 * width * width));
}

/** Host-side share of rows whose domain logit has the right sign (rows [0, sourceCount) are source). */
export function domainAccuracy(logits: Float32Array, sourceCount: number): { correct: number; count: number } {
  let correct = 0;
  for (let r = 0; r < logits.length; r++) if (logits[r]! > 0 === r >= sourceCount) correct += 1;
  return { correct, count: logits.length };
}

/** The gradient-reversal coefficient of DANN at training progress p ∈ [0, 1]: λ_max·(2/(1+e^(−10p)) − 1). */
export function dannLambda(progress: number, lambdaMax: number): number {
  const p = Math.min(1, Math.max(0, progress));
  return lambdaMax * (2 / (1 + Math.exp(-10 * p)) - 1);
}
