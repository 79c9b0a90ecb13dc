import type { GraphBuilder } from '../builder.js';

/**
 * Stop-gradient: the identity going forward, and no gradient going backward (`tf.stopGradient`,
 * `torch.Tensor.detach`). The WebGPU log-softmax subtracts the row maximum for range only: the
 * result does not depend on it, so its gradient through the maximum is zero in exact arithmetic,
 * and ReduceMax needs no VJP rule.
 *
 * Recorded as a plain ONNX `Identity` (which onnxruntime removes); autodiff consults this side
 * table, keyed by the builder and the node's output, and treats the output as a constant.
 */

const stopped = new WeakMap<GraphBuilder, Set<string>>();

/** `x` with its gradient stopped: the returned value equals `x`, and autodiff sends nothing back through it. */
export function stopGradient(b: GraphBuilder, x: string): string {
  const y = b.op('Identity', [x], {}, { hint: 'stop_gradient' });
  let set = stopped.get(b);
  if (set === undefined) stopped.set(b, (set = new Set()));
  set.add(y);
  return y;
}

/** Whether `output` is a stop-gradient's output (a constant to autodiff). */
export function isGradientStopped(b: GraphBuilder, output: string): boolean {
  return stopped.get(b)?.has(output) ?? false;
}
