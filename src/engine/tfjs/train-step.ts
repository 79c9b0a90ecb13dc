import * as tf from '@tensorflow/tfjs-core';
import { type AdamW, clipByGlobalNorm, type ParamGroup } from './adamw.js';

/** What one optimisation step needs besides the batch: the loss closure and the optimiser settings. */
export interface StepSettings {
  /** Learning rate for this step (after warm-up/decay). */
  lr: number;
  /** Gradient-norm clipping threshold; 0 disables. */
  maxGradNorm: number;
  /** Learning-rate scale and weight decay per parameter name. */
  groupOf: (name: string) => ParamGroup;
}

export interface StepResult {
  loss: number;
  gradNorm: number;
}

/**
 * Computes gradients of `lossFn` for the trainable parameters (the `tf.Variable`s in `params`)
 * and returns them by parameter name. Frozen parameters are plain tensors and get no gradient.
 */
export function computeGradients(params: ReadonlyMap<string, tf.Tensor>, lossFn: () => tf.Scalar): { loss: number; grads: Map<string, tf.Tensor> } {
  const trainable = [...params].filter(([, t]) => t instanceof tf.Variable) as [string, tf.Variable][];
  const nameOf = new Map(trainable.map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(
    lossFn,
    trainable.map(([, v]) => v),
  );
  const loss = value.dataSync()[0];
  value.dispose();
  const byName = new Map<string, tf.Tensor>();
  for (const [varName, g] of Object.entries(grads)) byName.set(nameOf.get(varName)!, g);
  return { loss, grads: byName };
}

/** Adds `more` into `into` (gradient accumulation), disposing the consumed tensors. */
export function accumulateGradients(into: Map<string, tf.Tensor>, more: Map<string, tf.Tensor>): void {
  for (const [name, g] of more) {
    const prev = into.get(name);
    if (prev) {
      into.set(name, tf.add(prev, g));
      prev.dispose();
      g.dispose();
    } else {
      into.set(name, g);
    }
  }
}

/** Clips, then applies AdamW; disposes the gradients. */
export function applyGradients(params: ReadonlyMap<string, tf.Tensor>, grads: Map<string, tf.Tensor>, optimizer: AdamW, settings: StepSettings): number {
  const gradNorm = clipByGlobalNorm(grads, settings.maxGradNorm);
  const variables = new Map([...params].filter(([, t]) => t instanceof tf.Variable) as [string, tf.Variable][]);
  optimizer.apply(variables, grads, settings.lr, settings.groupOf);
  for (const g of grads.values()) g.dispose();
  return gradNorm;
}

/** One full step: forward, backward, clip, AdamW. */
export function trainStep(params: ReadonlyMap<string, tf.Tensor>, lossFn: () => tf.Scalar, optimizer: AdamW, settings: StepSettings): StepResult {
  const { loss, grads } = computeGradients(params, lossFn);
  const gradNorm = applyGradients(params, grads, optimizer, settings);
  return { loss, gradNorm };
}

/**
 * One optimiser step over micro-batches (gradient accumulation): each micro-batch's loss is weighted
 * by its share of the examples, so the summed gradients equal those of one batch of them all; then
 * clip and AdamW. Returns the weighted sum of the losses (the whole batch's mean loss).
 */
export function accumulatedTrainStep<B extends { tokens: { batchSize: number } }>(
  trainable: ReadonlyMap<string, tf.Variable>,
  microBatches: readonly B[],
  lossOf: (batch: B) => tf.Scalar,
  optimizer: AdamW,
  settings: StepSettings,
): number {
  const total = microBatches.reduce((s, b) => s + b.tokens.batchSize, 0);
  const grads = new Map<string, tf.Tensor>();
  let loss = 0;
  try {
    for (const batch of microBatches) {
      const share = batch.tokens.batchSize / total;
      const step = computeGradients(trainable, () => tf.mul(lossOf(batch), share) as tf.Scalar);
      loss += step.loss;
      accumulateGradients(grads, step.grads);
    }
    clipByGlobalNorm(grads, settings.maxGradNorm);
    optimizer.apply(trainable, grads, settings.lr, settings.groupOf);
  } finally {
    for (const g of grads.values()) g.dispose();
  }
  return loss;
}
