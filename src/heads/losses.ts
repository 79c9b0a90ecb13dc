import type { TensorOps } from '../models/ops.js';

/**
 * Losses written over {@link TensorOps}, so both engines train the same objective.
 * Targets arrive as float tensors: one-hot rows for single-label, 0/1 rows for multi-label.
 */

/** Mean over the batch of −Σ_c w_c·y_c·log softmax(z)_c. `classWeights` [C] (optional) rescales classes. */
export function softmaxCrossEntropy<T>(ops: TensorOps<T>, logits: T, oneHot: T, classWeights?: T): T {
  const target = classWeights ? ops.mul(oneHot, classWeights) : oneHot;
  const perExample = ops.sum(ops.mul(target, ops.logSoftmax(logits)), 1);
  return ops.affine(ops.mean(perExample, 0), -1);
}

/** Mean binary cross-entropy with logits: −[y·log σ(z) + (1−y)·log σ(−z)], averaged over labels and batch. */
export function sigmoidBinaryCrossEntropy<T>(ops: TensorOps<T>, logits: T, targets: T): T {
  const logP = ops.logSigmoid(logits);
  const logNotP = ops.logSigmoid(ops.affine(logits, -1));
  const perLabel = ops.add(ops.mul(targets, logP), ops.mul(ops.affine(targets, -1, 1), logNotP));
  return ops.affine(ops.mean(ops.mean(perLabel, 1), 0), -1);
}

/** Mean squared error over the batch for regression (logits [B, 1], targets [B, 1]). */
export function meanSquaredError<T>(ops: TensorOps<T>, predictions: T, targets: T): T {
  const diff = ops.sub(predictions, targets);
  return ops.mean(ops.mean(ops.mul(diff, diff), 1), 0);
}
