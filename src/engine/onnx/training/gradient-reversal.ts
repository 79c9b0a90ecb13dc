import type { GraphBuilder } from '../builder.js';

/**
 * The gradient-reversal layer of DANN (Ganin & Lempitsky 2015): the identity going forward, and
 * −λ times the incoming gradient going backward, so one backward pass trains the domain head to
 * tell the domains apart while pushing the features below it to make that impossible.
 *
 * It is recorded as a standard ONNX `Identity` node (ONNX gives Identity no attributes, and the
 * exported graph stays plain ONNX); the scale its backward pass uses lives in this side table,
 * keyed by the builder and the node's output, which the Identity VJP rule consults.
 */

const scales = new WeakMap<GraphBuilder, Map<string, string>>();

/**
 * `x` through a gradient-reversal layer: the returned value equals `x`, and its gradient reaches
 * `x` multiplied by −`lambda` (`lambda` a float scalar value of the graph, e.g. a fed input).
 */
export function gradientReversal(b: GraphBuilder, x: string, lambda: string): string {
  const negLambda = b.op('Neg', [lambda], {}, { hint: 'grl_neg_lambda' });
  const y = b.op('Identity', [x], {}, { hint: 'gradient_reversal' });
  let table = scales.get(b);
  if (table === undefined) scales.set(b, (table = new Map()));
  table.set(y, negLambda);
  return y;
}

/** The value an Identity node's output gradient is multiplied by (undefined: a plain Identity). */
export function gradientScaleOf(b: GraphBuilder, output: string): string | undefined {
  return scales.get(b)?.get(output);
}
