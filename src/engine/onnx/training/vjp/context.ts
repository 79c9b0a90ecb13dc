import type { GraphBuilder } from '../../builder.js';
import type { GraphNode } from '../../graph.js';
import type { GraphTarget } from '../graph-target.js';

/** What a VJP rule sees: the forward node, the gradients of its outputs, which inputs want one. */
export interface VjpContext {
  builder: GraphBuilder;
  node: GraphNode;
  /** Gradient of each output (same shape as the output), undefined where no gradient flows. */
  outputGrads: (string | undefined)[];
  /** Whether input `i` depends on a differentiated value (only those need a gradient). */
  needs(i: number): boolean;
  /** The execution provider the backward nodes are written for (graph-target.ts): `webgpu` avoids ops it has no kernel for. */
  target: GraphTarget;
}

/**
 * A vector–Jacobian product rule: appends backward nodes and returns, per input, the gradient of
 * the loss with respect to that input (shaped like the input), or undefined where none is needed.
 */
export type VjpRule = (ctx: VjpContext) => (string | undefined)[];
