import type { GraphBuilder } from '../builder.js';
import { ElemType, type GraphNode } from '../graph.js';
import type { GraphTarget } from './graph-target.js';
import { isGradientStopped } from './stop-gradient.js';
import { sameShape, sumAll } from './vjp/helpers.js';
import { VJP_RULES } from './vjp/index.js';

/**
 * Reverse-mode differentiation of a graph recorded in a {@link GraphBuilder}, emitted as more
 * standard ONNX nodes in the same builder.
 *
 * The builder appends nodes in topological order, so walking the forward nodes backwards visits
 * every consumer of a value before its producer: by the time a node is reached, the gradient of
 * each of its outputs is complete (the sum of its consumers' contributions). Only nodes on a path
 * from a `wrt` value to the loss get backward nodes, so frozen parameters, integer inputs and side
 * branches (an unused pooler) cost nothing.
 */

export interface AppendGradientsOptions {
  /**
   * A value holding the gradient of the loss (shaped like the loss), e.g. a fed scale used for
   * gradient accumulation. Default: 1.
   */
  seed?: string;
  /** The execution provider the backward nodes are written for (graph-target.ts). Default `cpu`. */
  target?: GraphTarget;
}

function isFloat(b: GraphBuilder, name: string): boolean {
  return name !== '' && b.has(name) && b.elemType(name) === ElemType.Float;
}

/** Values that depend on at least one of `wrt`, in one forward sweep. */
function dependents(b: GraphBuilder, nodes: readonly GraphNode[], wrt: readonly string[]): Set<string> {
  const out = new Set(wrt);
  for (const node of nodes) {
    if (!node.inputs.some((i) => out.has(i))) continue;
    // A stop-gradient's output is a constant to differentiation (stop-gradient.ts).
    if (node.opType === 'Identity' && isGradientStopped(b, node.outputs[0]!)) continue;
    for (const o of node.outputs) if (isFloat(b, o)) out.add(o);
  }
  return out;
}

/** Values the loss depends on, in one backward sweep. */
function ancestors(nodes: readonly GraphNode[], loss: string): Set<string> {
  const out = new Set([loss]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!node.outputs.some((o) => out.has(o))) continue;
    for (const input of node.inputs) if (input !== '') out.add(input);
  }
  return out;
}

/**
 * Appends the backward pass of `loss` with respect to `wrt` and returns each `wrt` value's
 * gradient name. A `wrt` value the loss does not depend on gets no entry (like PyTorch's
 * `grad is None`; such a parameter should not be updated at all). Throws, naming the op, when a
 * node on the path from a `wrt` value to the loss has no VJP rule.
 */
export function appendGradients(b: GraphBuilder, loss: string, wrt: readonly string[], options: AppendGradientsOptions = {}): Map<string, string> {
  if (!isFloat(b, loss)) throw new Error(`the loss "${loss}" must be a float value of the graph`);
  for (const w of wrt) if (!isFloat(b, w)) throw new Error(`cannot differentiate with respect to "${w}": not a float value of the graph`);

  const target = options.target ?? 'cpu';
  const forward = b.graph.nodes.slice();
  const live = dependents(b, forward, wrt);
  const needed = ancestors(forward, loss);
  const relevant = (v: string) => live.has(v) && needed.has(v);

  const parts = new Map<string, string[]>();
  const contribute = (value: string, grad: string) => {
    if (!sameShape(b.shape(grad), b.shape(value))) {
      throw new Error(`gradient of "${value}" has shape [${b.shape(grad).join(', ')}], expected [${b.shape(value).join(', ')}]`);
    }
    const list = parts.get(value);
    if (list) list.push(grad);
    else parts.set(value, [grad]);
  };
  // A value's gradient is summed once, when first asked for (all its consumers are done by then).
  const total = (value: string): string | undefined => {
    const list = parts.get(value);
    if (list === undefined) return undefined;
    const sum = sumAll(b, list, target);
    parts.set(value, [sum]);
    return sum;
  };

  if (!relevant(loss)) return new Map();
  contribute(loss, options.seed ?? onesLike(b, loss));

  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    if (!node.outputs.some((o) => parts.has(o))) continue;
    if (!node.inputs.some(relevant)) continue;
    const rule = VJP_RULES[node.opType];
    if (rule === undefined) throw new Error(`no gradient rule for ONNX op ${node.opType} (on the path from a parameter to the loss)`);
    const outputGrads = node.outputs.map((o) => (o === '' ? undefined : total(o)));
    const inputGrads = rule({ builder: b, node, outputGrads, needs: (k) => relevant(node.inputs[k] ?? ''), target });
    node.inputs.forEach((input, k) => {
      const g = inputGrads[k];
      if (g !== undefined && relevant(input)) contribute(input, g);
    });
  }

  const grads = new Map<string, string>();
  for (const w of wrt) {
    const g = total(w);
    if (g !== undefined) grads.set(w, g);
  }
  return grads;
}

function onesLike(b: GraphBuilder, x: string): string {
  const shape = b.shape(x);
  if (shape.length === 0) return b.scalar(1);
  if (!shape.every((d): d is number => typeof d === 'number')) throw new Error('a loss of symbolic shape needs an explicit seed');
  const n = shape.reduce((p, d) => p * d, 1);
  return b.constant(ElemType.Float, shape, new Array<number>(n).fill(1), 'ones');
}
