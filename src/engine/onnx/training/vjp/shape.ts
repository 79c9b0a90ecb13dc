import { attr, type GraphBuilder } from '../../builder.js';
import { normAxis } from '../../dims.js';
import { ElemType } from '../../graph.js';
import type { VjpRule } from './context.js';
import { allNumeric, intAttr, intsAttr, inversePerm, outGrad, padInto, reshapeLike, shapeOf } from './helpers.js';
import { segmentInputsOf, segmentSum, segmentSumByScan } from '../segment-sum.js';
import { oneHotByGather, scatterRowsAdd, zerosShapedLike } from './webgpu.js';

/** Tables up to this many rows (token types: 2) take their lookup gradient as a one-hot product. */
const ONE_HOT_MAX_ROWS = 16;

/** VJP rules of ops that move values around without arithmetic. */

/** Float zeros shaped like `x` (known or run-time shape). */
function zerosLike(b: GraphBuilder, x: string): string {
  return b.op(
    'ConstantOfShape',
    [shapeOf(b, x)],
    { value: attr.tensor({ elemType: ElemType.Float, dims: [1], values: Float32Array.of(0) }) },
    { hint: 'grad_zeros', outputTypes: [{ elemType: ElemType.Float, shape: [...b.shape(x)] }] },
  );
}

/** Reshape-like ops: the gradient is reshaped back; their shape/axes inputs get none. */
const reshapeBack: VjpRule = (ctx) => [
  reshapeLike(ctx.builder, outGrad(ctx), ctx.node.inputs[0], ctx.target),
  ...ctx.node.inputs.slice(1).map(() => undefined),
];

export const shapeRules: Record<string, VjpRule> = {
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Flatten: reshapeBack,

  Transpose: (ctx) => {
    const b = ctx.builder;
    const rank = b.rank(ctx.node.inputs[0]);
    const perm = intsAttr(ctx.node, 'perm') ?? [...Array(rank).keys()].reverse();
    return [b.op('Transpose', [outGrad(ctx)], { perm: attr.ints(inversePerm(perm)) }, { hint: 'grad_transpose' })];
  },

  /**
   * Slice with constant non-negative starts and unit steps (the ends may be computed at run
   * time, as for position embeddings cut to the sequence length): the gradient is padded with
   * zeros back to the input's shape.
   */
  Slice: (ctx) => {
    const b = ctx.builder;
    const [x, startsName, , axesName, stepsName] = ctx.node.inputs;
    const rank = b.rank(x);
    const starts = b.constInts(startsName);
    const axes = axesName ? b.constInts(axesName) : starts?.map((_, i) => i);
    const steps = stepsName ? b.constInts(stepsName) : undefined;
    if (starts === undefined || axes === undefined) throw new Error('Slice: starts and axes must be constants to differentiate');
    if (steps !== undefined && steps.some((s) => s !== 1)) throw new Error('Slice: only unit steps are differentiable here');
    const before = new Array<number>(rank).fill(0);
    axes.forEach((a, i) => {
      if (starts[i] < 0) throw new Error('Slice: negative starts are not differentiable here');
      before[normAxis(a, rank)] = starts[i];
    });
    return [padInto(b, outGrad(ctx), x, before, ctx.target), ...ctx.node.inputs.slice(1).map(() => undefined)];
  },

  /**
   * Split: the output gradients concatenated back along the split axis (zeros for a part that
   * gets none); the sizes input gets no gradient.
   */
  Split: (ctx) => {
    const b = ctx.builder;
    const axis = intAttr(ctx.node, 'axis', 0);
    const parts = ctx.node.outputs.map((out, i) => ctx.outputGrads[i] ?? (ctx.target === 'webgpu' ? zerosShapedLike(b, out) : zerosLike(b, out)));
    const grad = parts.length === 1 ? parts[0] : b.op('Concat', parts, { axis: attr.int(axis) }, { hint: 'grad_concat' });
    return [grad, ...ctx.node.inputs.slice(1).map(() => undefined)];
  },

  /**
   * Gather along `axis`. A scalar constant index (x[:, i]) pads the gradient back around row i;
   * index tensors along axis 0 (embedding lookups) scatter-add rows into a zero table, so a
   * token that appears several times gets the sum of its gradients.
   */
  Gather: (ctx) => {
    const b = ctx.builder;
    const [table, indices] = ctx.node.inputs;
    const g = outGrad(ctx);
    const rank = b.rank(table);
    const axis = normAxis(intAttr(ctx.node, 'axis', 0), rank);
    const constIndex = b.constInts(indices);
    if (b.rank(indices) === 0 && constIndex !== undefined) {
      const dim = b.shape(table)[axis];
      let index = constIndex[0];
      if (index < 0) {
        if (typeof dim !== 'number') throw new Error('Gather: a negative index on a symbolic axis is not differentiable here');
        index += dim;
      }
      const before = new Array<number>(rank).fill(0);
      before[axis] = index;
      return [padInto(b, b.op('Unsqueeze', [g, b.int64s([axis])]), table, before, ctx.target), undefined];
    }
    if (axis !== 0) throw new Error('Gather: index tensors are differentiable only along axis 0');
    const tableShape = b.shape(table);
    const width = tableShape[1];
    // Rows with repeated ids need sums formed in a fixed order (segment-sum.ts): the host's
    // segments for a marked table (word embeddings), a one-hot product for a small fixed table
    // (token types). ScatterND-add below is left for ids that do not repeat (masked-LM positions).
    // The webgpu target (graph-target.ts) sums the segments by a float32 scan, builds the one-hot
    // rows by a Gather of the identity, and scatters with ScatterElements (vjp/webgpu.ts).
    const rowsCount = tableShape[0];
    const segments = segmentInputsOf(b, ctx.node.outputs[0]!);
    const oneHotRows = typeof rowsCount === 'number' && rowsCount <= ONE_HOT_MAX_ROWS ? rowsCount : undefined;
    if (tableShape.length === 2 && typeof width === 'number' && (segments || oneHotRows !== undefined)) {
      const rows2d = b.op('Reshape', [g, b.int64s([-1, width])]);
      if (segments)
        return [ctx.target === 'webgpu' ? segmentSumByScan(b, rows2d, rowsCount!, indices, segments) : segmentSum(b, rows2d, width, segments), undefined];
      if (ctx.target === 'webgpu')
        return [b.op('Gemm', [oneHotByGather(b, indices, oneHotRows!), rows2d], { transA: attr.int(1) }, { hint: 'grad_one_hot_rows' }), undefined];
      const flatIds = b.op('Reshape', [indices, b.int64s([-1])]);
      const oneHot = b.op(
        'OneHot',
        [flatIds, b.int64s([oneHotRows!]), b.constant(ElemType.Float, [2], [0, 1])],
        { axis: attr.int(-1) },
        {
          hint: 'grad_one_hot',
          outputTypes: [{ elemType: ElemType.Float, shape: [b.shape(flatIds)[0]!, oneHotRows!] }],
        },
      );
      return [b.op('Gemm', [oneHot, rows2d], { transA: attr.int(1) }, { hint: 'grad_one_hot_rows' }), undefined];
    }
    if (ctx.target === 'webgpu') return [scatterRowsAdd(b, g, indices, table), undefined];
    const shape = allNumeric(tableShape) ? b.int64s(tableShape) : b.op('Shape', [table]);
    const zeros = b.op(
      'ConstantOfShape',
      [shape],
      { value: attr.tensor({ elemType: ElemType.Float, dims: [1], values: Float32Array.of(0) }) },
      {
        hint: 'grad_zeros',
        outputTypes: [{ elemType: ElemType.Float, shape: [...tableShape] }],
      },
    );
    const rows = b.op('Unsqueeze', [indices, b.int64s([-1])]);
    const grad = b.op('ScatterND', [zeros, rows, g], { reduction: attr.string('add') }, { hint: 'grad_scatter_rows' });
    return [grad, undefined];
  },
};
