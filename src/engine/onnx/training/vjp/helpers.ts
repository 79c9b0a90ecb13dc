import { attr, type GraphBuilder } from '../../builder.js';
import { sameDim } from '../../dims.js';
import { ElemType, type Attribute, type Dim, type GraphNode } from '../../graph.js';
import type { GraphTarget } from '../graph-target.js';
import type { VjpContext } from './context.js';
import { addChain, padAlongOneAxis } from './webgpu.js';

/** Small graph-building helpers shared by the VJP rules. */

export function intAttr(node: GraphNode, name: string, dflt: number): number {
  const a: Attribute | undefined = node.attributes[name];
  return a?.kind === 'int' ? a.value : dflt;
}

export function intsAttr(node: GraphNode, name: string): number[] | undefined {
  const a: Attribute | undefined = node.attributes[name];
  return a?.kind === 'ints' ? a.value : undefined;
}

export function floatAttr(node: GraphNode, name: string, dflt: number): number {
  const a: Attribute | undefined = node.attributes[name];
  return a?.kind === 'float' ? a.value : dflt;
}

/** The single output gradient a one-output rule works with. */
export function outGrad(ctx: VjpContext, i = 0): string {
  const g = ctx.outputGrads[i];
  if (g === undefined) throw new Error(`${ctx.node.opType}: no gradient for output ${i}`);
  return g;
}

export function allNumeric(shape: readonly Dim[]): shape is number[] {
  return shape.every((d) => typeof d === 'number');
}

/** The run-time shape of `x`, as a constant when every dim is known. */
export function shapeOf(b: GraphBuilder, x: string): string {
  const s = b.shape(x);
  return allNumeric(s) ? b.int64s(s) : b.op('Shape', [x], {}, { hint: 'grad_shape' });
}

/**
 * `g` reshaped to the shape of `like` (same element count). On the webgpu target a constant shape
 * is used where one says it (`0` keeps a dim of `g`, −1 infers one): a run-time Shape of a
 * transposed value becomes, in onnxruntime's transpose optimiser, a Gather of int64 dims, which the
 * provider has no kernel for.
 */
export function reshapeLike(b: GraphBuilder, g: string, like: string, target: GraphTarget = 'cpu'): string {
  if (sameShape(b.shape(g), b.shape(like))) return g;
  const shape = target === 'webgpu' ? constantReshape(b.shape(g), b.shape(like)) : undefined;
  return b.op(
    'Reshape',
    [g, shape ? b.int64s(shape) : shapeOf(b, like)],
    {},
    { hint: 'grad_reshape', outputTypes: [{ elemType: b.elemType(g), shape: [...b.shape(like)] }] },
  );
}

/** Reshape's shape input taking `from` to `to` without reading a run-time shape, if there is one. */
function constantReshape(from: readonly Dim[], to: readonly Dim[]): number[] | undefined {
  let inferred = false;
  const out: number[] = [];
  for (let i = 0; i < to.length; i++) {
    const d = to[i]!;
    if (typeof d === 'number') out.push(d);
    else if (i < from.length && sameDim(d, from[i]!)) out.push(0);
    else if (inferred) return undefined;
    else {
      inferred = true;
      out.push(-1);
    }
  }
  return out;
}

export function sameShape(a: readonly Dim[], c: readonly Dim[]): boolean {
  return a.length === c.length && a.every((d, i) => sameDim(d, c[i]));
}

/**
 * Sums a gradient over the axes along which `target` was broadcast to produce it, then reshapes
 * to `target`'s shape: the adjoint of numpy broadcasting.
 */
export function reduceToShape(b: GraphBuilder, g: string, target: string): string {
  const gs = b.shape(g);
  const ts = b.shape(target);
  if (sameShape(gs, ts)) return g;
  const lead = gs.length - ts.length;
  if (lead < 0) throw new Error(`gradient of rank ${gs.length} cannot be reduced to rank ${ts.length}`);
  const axes: number[] = [];
  for (let i = 0; i < gs.length; i++) {
    if (i < lead) axes.push(i);
    else if (ts[i - lead] === 1 && gs[i] !== 1) axes.push(i);
  }
  let r = g;
  if (axes.length > 0) {
    // Leading axes are dropped, inner broadcast axes kept as 1: exactly the target's layout.
    const inner = axes.filter((a) => a >= lead);
    if (inner.length > 0) r = b.op('ReduceSum', [r, b.int64s(inner)], { keepdims: attr.int(1) }, { hint: 'grad_unbroadcast' });
    if (lead > 0) r = b.op('ReduceSum', [r, b.int64s(axes.filter((a) => a < lead))], { keepdims: attr.int(0) }, { hint: 'grad_unbroadcast' });
  }
  return sameShape(b.shape(r), ts) ? r : reshapeLike(b, r, target);
}

/** `perm` inverted: where each axis of the output came from. */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** `x` with its last two axes swapped. */
export function swapLastTwo(b: GraphBuilder, x: string): string {
  const r = b.rank(x);
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return b.op('Transpose', [x], { perm: attr.ints(perm) }, { hint: 'grad_swap' });
}

/** Float 0/1 from a boolean value. */
export function toFloat(b: GraphBuilder, x: string): string {
  return b.op('Cast', [x], { to: attr.int(ElemType.Float) });
}

/**
 * Places `small` inside a zero tensor shaped like `big`, starting at `before` on each axis (the
 * adjoint of slicing `big`). The trailing pad is computed at run time, so symbolic dims work (on
 * the webgpu target without int64 arithmetic: zeros concatenated along the one padded axis).
 */
export function padInto(b: GraphBuilder, small: string, big: string, before: number[], target: GraphTarget = 'cpu'): string {
  const rank = b.rank(big);
  const beforeT = b.int64s(before);
  const bigShape = b.shape(big);
  const smallShape = b.shape(small);
  // Nothing to pad (x[:, 0] of a one-position axis, e.g. the first-token-only encoder's output).
  if (before.every((p) => p === 0) && bigShape.every((d, i) => sameDim(d, smallShape[i]!))) return small;
  let after: string;
  if (allNumeric(bigShape) && allNumeric(smallShape)) {
    after = b.int64s(bigShape.map((d, i) => d - smallShape[i] - before[i]));
  } else if (target === 'webgpu') {
    return padAlongOneAxis(b, small, big, before);
  } else {
    const gap = b.op('Sub', [b.op('Shape', [big]), b.op('Shape', [small])]);
    after = b.op('Sub', [gap, beforeT]);
  }
  const pads = b.op('Concat', [beforeT, after], { axis: attr.int(0) }, { outputTypes: [{ elemType: ElemType.Int64, shape: [2 * rank] }] });
  return b.op(
    'Pad',
    [small, pads],
    { mode: attr.string('constant') },
    { hint: 'grad_pad', outputTypes: [{ elemType: b.elemType(small), shape: [...bigShape] }] },
  );
}

/** Adds gradient contributions (one node for any count; binary Adds on the webgpu target, which has no variadic Sum). */
export function sumAll(b: GraphBuilder, parts: string[], target: GraphTarget = 'cpu'): string {
  if (parts.length === 0) throw new Error('nothing to sum');
  if (parts.length === 1) return parts[0];
  if (parts.length === 2) return b.op('Add', parts, {}, { hint: 'grad_acc' });
  if (target === 'webgpu') return addChain(b, parts, 'grad_acc');
  return b.op('Sum', parts, {}, { hint: 'grad_acc' });
}
