import { attr, type GraphBuilder } from '../../builder.js';
import { normAxis } from '../../dims.js';
import { ElemType, type GraphNode } from '../../graph.js';
import type { VjpRule } from './context.js';
import { allNumeric, intAttr, intsAttr, outGrad, shapeOf } from './helpers.js';
import { reducedCount } from './webgpu.js';

/** VJP rules of reductions: the gradient is broadcast back over the reduced axes. */

/** Reduced axes of a node (attribute before opset 18 for most reductions, input for ReduceSum). */
function reducedAxes(b: GraphBuilder, node: GraphNode): number[] {
  const x = node.inputs[0];
  const rank = b.rank(x);
  let axes: number[] | undefined;
  if (node.opType === 'ReduceSum') {
    const input = node.inputs[1];
    axes = input ? b.constInts(input) : [];
    if (axes === undefined) throw new Error('ReduceSum: axes must be a constant to differentiate');
    if (axes.length === 0 && intAttr(node, 'noop_with_empty_axes', 0) === 1) return [];
  } else {
    axes = intsAttr(node, 'axes') ?? [];
  }
  return axes.length === 0 ? [...Array(rank).keys()] : axes.map((a) => normAxis(a, rank));
}

/** dY expanded back to X's shape (after restoring dropped axes). */
function broadcastBack(b: GraphBuilder, node: GraphNode, g: string): string {
  const x = node.inputs[0];
  const axes = reducedAxes(b, node);
  let kept = g;
  if (intAttr(node, 'keepdims', 1) === 0 && axes.length > 0) kept = b.op('Unsqueeze', [g, b.int64s(axes)]);
  return b.op('Expand', [kept, shapeOf(b, x)], {}, { hint: 'grad_expand', outputTypes: [{ elemType: b.elemType(g), shape: [...b.shape(x)] }] });
}

export const reduceRules: Record<string, VjpRule> = {
  ReduceSum: (ctx) => [broadcastBack(ctx.builder, ctx.node, outGrad(ctx)), undefined],

  ReduceMean: (ctx) => {
    const b = ctx.builder;
    const x = ctx.node.inputs[0];
    const g = outGrad(ctx);
    const axes = reducedAxes(b, ctx.node);
    const dims = axes.map((a) => b.shape(x)[a]);
    // 1/count: a constant when the reduced dims are known, else |dY| / |X| at run time (on the
    // webgpu target, which has no Size and no Cast from int64: 1 / the reduced sum of ones).
    let inverseCount: string;
    if (allNumeric(dims)) inverseCount = b.scalar(1 / dims.reduce((p, d) => p * d, 1));
    else if (ctx.target === 'webgpu') inverseCount = b.op('Div', [b.scalar(1), reducedCount(b, x, axes, intAttr(ctx.node, 'keepdims', 1) === 1)]);
    else
      inverseCount = b.op('Div', [
        b.op('Cast', [b.op('Size', [g])], { to: attr.int(ElemType.Float) }),
        b.op('Cast', [b.op('Size', [x])], { to: attr.int(ElemType.Float) }),
      ]);
    return [broadcastBack(b, ctx.node, b.op('Mul', [g, inverseCount])), undefined];
  },
};
