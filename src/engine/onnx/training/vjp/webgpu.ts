import { attr, type GraphBuilder } from '../../builder.js';
import { sameDim } from '../../dims.js';
import { ElemType, type Dim } from '../../graph.js';

/**
 * Backward-pass building blocks for the `webgpu` graph target (graph-target.ts): the same values as
 * the CPU rules' ops, written with ops and element types onnxruntime's WebGPU provider has kernels
 * for. Its Cast, Shape, Reshape, Unsqueeze, Concat, Sub and Equal take no int64 data, it has no
 * ConstantOfShape, OneHot, Size or variadic Sum, and int64 may only be an index (Gather,
 * ScatterElements) or a shape read on the host side of a kernel (Shape's output, Slice bounds,
 * Expand and Reshape shapes, Pad amounts). So run-time sizes are taken as float: Shape of a float
 * value → Expand of 1 → CumSum gives 0, 1, 2, … (exact below 2^24), and counts are sums of ones.
 */

const float = (shape: Dim[]) => ({ outputTypes: [{ elemType: ElemType.Float, shape }] });

/** A float constant shaped like the float value `x` (Expand of a scalar: nothing stored, any run-time shape). */
function filledLike(b: GraphBuilder, x: string, value: number, hint: string): string {
  const shape = b.shape(x);
  const dims = shape.every((d): d is number => typeof d === 'number') ? b.int64s(shape) : b.op('Shape', [x], {}, { hint: 'grad_shape' });
  return b.op('Expand', [b.scalar(value), dims], {}, { hint, ...float([...shape]) });
}

/** Float zeros shaped like the float value `x`. */
export function zerosShapedLike(b: GraphBuilder, x: string): string {
  return filledLike(b, x, 0, 'grad_zeros');
}

/** 0, 1, …, n − 1 as float, n = the run-time size of `x` (float) along `axis`. */
export function floatIota(b: GraphBuilder, x: string, axis: number): string {
  const n = b.shape(x)[axis]!;
  const size = b.op('Shape', [x], { start: attr.int(axis), end: attr.int(axis + 1) }, { hint: 'iota_size' });
  const ones = b.op('Expand', [b.scalar(1), size], {}, { hint: 'iota_ones', ...float([n]) });
  return b.op('CumSum', [ones, b.int64Scalar(0)], { exclusive: attr.int(1) }, { hint: 'iota' });
}

/** Adds contributions with binary Adds, left to right (the provider has no variadic Sum). */
export function addChain(b: GraphBuilder, parts: readonly string[], hint: string): string {
  let sum = parts[0]!;
  for (const p of parts.slice(1)) sum = b.op('Add', [sum, p], {}, { hint });
  return sum;
}

/**
 * The number of elements a reduction over `axes` of `x` averages, as float, shaped like the
 * reduced value: a sum of ones (the provider has no Size, and no Cast from int64).
 */
export function reducedCount(b: GraphBuilder, x: string, axes: number[], keepdims: boolean): string {
  return b.op('ReduceSum', [filledLike(b, x, 1, 'ones'), b.int64s(axes)], { keepdims: attr.int(keepdims ? 1 : 0) }, { hint: 'reduced_count' });
}

/**
 * `small` placed inside zeros shaped like `big` from offset `before`, when the two differ along one
 * axis only: Concat of [zeros, small, zeros] along it, the zeros sliced from a zero tensor shaped
 * like `big` (the CPU rule's Pad needs its trailing amount as run-time int64 arithmetic).
 */
export function padAlongOneAxis(b: GraphBuilder, small: string, big: string, before: readonly number[]): string {
  const bigShape = b.shape(big);
  const smallShape = b.shape(small);
  const axes = bigShape.map((_, i) => i).filter((i) => !sameDim(bigShape[i]!, smallShape[i]!) || before[i] !== 0);
  if (axes.length !== 1) throw new Error(`padding a gradient along ${axes.length} axes is not written for the webgpu target`);
  const a = axes[0]!;
  const zeros = zerosShapedLike(b, big);
  const part = (start: string, end: string, dim: Dim) => {
    const shape = [...bigShape];
    shape[a] = dim;
    return b.op('Slice', [zeros, start, end, b.int64s([a])], {}, { hint: 'grad_pad_zeros', ...float(shape) });
  };
  const p = before[a]!;
  const d = smallShape[a]!;
  const pieces: string[] = [];
  if (p > 0) pieces.push(part(b.int64s([0]), b.int64s([p]), p));
  pieces.push(small);
  // After `small`: from p + d to the end. A run-time d is read off small's shape (no int64 Add).
  let start: string;
  if (typeof d === 'number') start = b.int64s([p + d]);
  else if (p === 0) start = b.op('Shape', [small], { start: attr.int(a), end: attr.int(a + 1) });
  else throw new Error('padding a run-time-sized gradient from a non-zero offset is not written for the webgpu target');
  pieces.push(part(start, b.int64s([Number.MAX_SAFE_INTEGER]), b.freshDim()));
  return b.op('Concat', pieces, { axis: attr.int(a) }, { hint: 'grad_pad', ...float([...bigShape]) });
}

/**
 * The gradient of `Gather(table, indices)` along axis 0 as a scatter-add into zeros shaped like
 * `table`: ScatterElements, whose indices need no int64 reshaping. Rank-1 indices into a one-column
 * table scatter into the flattened column with the int64 indices as they are; otherwise each row
 * index is taken as float (a Gather of 0, 1, 2, … by the int64 indices), broadcast along the row and
 * cast to int32 — exact for tables under 2^24 rows. Repeated indices add up, as in ScatterND-add.
 */
export function scatterRowsAdd(b: GraphBuilder, g: string, indices: string, table: string): string {
  const tableShape = b.shape(table);
  const zeros = zerosShapedLike(b, table);
  const width = tableShape[1];
  if (tableShape.length === 2 && width === 1 && b.rank(indices) === 1) {
    const flat = (x: string, dim: Dim) => b.op('Reshape', [x, b.int64s([-1])], {}, float([dim]));
    const sum = b.op('ScatterElements', [flat(zeros, tableShape[0]!), indices, flat(g, b.shape(indices)[0]!)], {
      axis: attr.int(0),
      reduction: attr.string('add'),
    });
    return b.op('Reshape', [sum, b.int64s([-1, 1])], {}, { hint: 'grad_scatter_rows', ...float([...tableShape]) });
  }
  if (tableShape.length !== 2 || typeof width !== 'number') throw new Error('Gather: a row scatter needs a 2-D table of known width on the webgpu target');
  const g2 = b.op('Reshape', [g, b.int64s([-1, width])], {}, float([b.freshDim(), width]));
  const rowOf = b.op('Gather', [floatIota(b, table, 0), indices], { axis: attr.int(0) }, float([...b.shape(indices)]));
  const rowColumn = b.op('Reshape', [rowOf, b.int64s([-1, 1])], {}, float([b.shape(g2)[0]!, 1]));
  const rowIndex = b.op('Cast', [b.op('Expand', [rowColumn, b.op('Shape', [g2])], {}, float([...b.shape(g2)]))], { to: attr.int(ElemType.Int32) });
  return b.op('ScatterElements', [zeros, rowIndex, g2], { axis: attr.int(0), reduction: attr.string('add') }, { hint: 'grad_scatter_rows' });
}

/** One-hot rows [n, rows] of int64 ids (any shape) as a Gather of the identity matrix (the provider has no OneHot). */
export function oneHotByGather(b: GraphBuilder, ids: string, rows: number): string {
  const eye = Array.from({ length: rows * rows }, (_, i) => (Math.floor(i / rows) === i % rows ? 1 : 0));
  const picked = b.op('Gather', [b.constant(ElemType.Float, [rows, rows], eye, 'eye'), ids], { axis: attr.int(0) }, float([...b.shape(ids), rows]));
  return b.op('Reshape', [picked, b.int64s([-1, rows])], {}, { hint: 'grad_one_hot', ...float([b.freshDim(), rows]) });
}
