import { broadcastShapes, dimProduct, dimQuotient, normAxis } from './dims.js';
import { ElemType, type Attribute, type Dim, type ValueInfo } from './graph.js';

/**
 * Output element types and symbolic shapes of the standard ONNX ops bertft emits, so that every
 * value in a traced graph has a known shape. Reverse-mode differentiation relies on this: the
 * gradient of a broadcast `Add` must be summed back over exactly the broadcast axes.
 *
 * Only what ONNX's own shape inference would conclude is computed here; where a size depends on
 * run-time data (a `Slice` bounded by a `Shape`, a `Range`), the caller passes the output type
 * explicitly or a fresh symbolic dim is used.
 */

/** The type and shape of one value, without its name. */
export interface TypeAndShape {
  elemType: ElemType;
  shape: Dim[];
}

/** What an inference rule can see about a node about to be added. */
export interface InferContext {
  inputs: (ValueInfo | undefined)[];
  attributes: Record<string, Attribute>;
  /** Integer contents of input `i` when it is a constant (an initializer), else undefined. */
  constInts(i: number): number[] | undefined;
  /** A new symbolic dim, for sizes only known at run time. */
  freshDim(): Dim;
}

type Rule = (c: InferContext) => TypeAndShape[];

function input(c: InferContext, i: number): ValueInfo {
  const v = c.inputs[i];
  if (v === undefined) throw new Error(`input ${i} is missing`);
  return v;
}

function intAttr(c: InferContext, name: string, dflt: number): number {
  const a = c.attributes[name];
  return a?.kind === 'int' ? a.value : dflt;
}

function intsAttr(c: InferContext, name: string): number[] | undefined {
  const a = c.attributes[name];
  return a?.kind === 'ints' ? a.value : undefined;
}

const sameAsFirst: Rule = (c) => {
  const x = input(c, 0);
  return [{ elemType: x.elemType, shape: [...x.shape] }];
};

const broadcastAll =
  (elemType?: ElemType): Rule =>
  (c) => {
    const present = c.inputs.filter((v): v is ValueInfo => v !== undefined);
    const shape = present.slice(1).reduce<Dim[]>((s, v) => broadcastShapes(s, v.shape), [...present[0].shape]);
    return [{ elemType: elemType ?? present[0].elemType, shape }];
  };

function matmulShape(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  // Rank-1 operands are promoted (a → [1, K], b → [K, 1]) and the added axis removed afterwards.
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]);
  if (b.length > 1) out.push(b2[b2.length - 1]);
  return out;
}

/** Reduced shape for `axes` (all axes when empty), keeping them as 1 when `keep`. */
function reduceShape(shape: readonly Dim[], axes: number[] | undefined, keep: boolean, noopWhenEmpty: boolean): Dim[] {
  if (axes === undefined || axes.length === 0) {
    if (noopWhenEmpty) return [...shape];
    return keep ? shape.map(() => 1) : [];
  }
  const set = new Set(axes.map((a) => normAxis(a, shape.length)));
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

const reduceWithAttrAxes: Rule = (c) => {
  const x = input(c, 0);
  return [{ elemType: x.elemType, shape: reduceShape(x.shape, intsAttr(c, 'axes'), intAttr(c, 'keepdims', 1) === 1, false) }];
};

const reduceWithInputAxes: Rule = (c) => {
  const x = input(c, 0);
  const axes = c.inputs[1] === undefined ? [] : c.constInts(1);
  if (axes === undefined) throw new Error('reduction axes must be a constant');
  const noop = intAttr(c, 'noop_with_empty_axes', 0) === 1;
  return [{ elemType: x.elemType, shape: reduceShape(x.shape, axes, intAttr(c, 'keepdims', 1) === 1, noop) }];
};

function reshapeShape(c: InferContext, x: readonly Dim[], target: number[]): Dim[] {
  const allowZero = intAttr(c, 'allowzero', 0) === 1;
  const out: (Dim | undefined)[] = target.map((d, i) => (d === 0 && !allowZero ? x[i] : d === -1 ? undefined : d));
  const inferred = out.indexOf(undefined);
  if (inferred >= 0) {
    const known = out.filter((d): d is Dim => d !== undefined);
    out[inferred] = dimQuotient(dimProduct(x), known) ?? c.freshDim();
  }
  return out as Dim[];
}

/** Length of `[start, end)` with ONNX Slice clamping, or undefined when a bound is symbolic. */
function sliceLength(dim: Dim, start: number, end: number, step: number): Dim | undefined {
  if (typeof dim !== 'number') {
    // Only the whole-axis slice keeps a symbolic size.
    const whole = step === 1 && start === 0 && end >= 2 ** 31 - 1;
    return whole ? dim : undefined;
  }
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const s = start < 0 ? start + dim : start;
  const e = end < 0 ? end + dim : end;
  if (step > 0) {
    const from = clamp(s, 0, dim);
    const to = clamp(e, 0, dim);
    return Math.max(0, Math.ceil((to - from) / step));
  }
  const from = clamp(s, -1, dim - 1);
  const to = clamp(e, -1, dim - 1);
  return Math.max(0, Math.ceil((to - from) / step));
}

const RULES: Record<string, Rule> = {
  Add: broadcastAll(),
  Sub: broadcastAll(),
  Mul: broadcastAll(),
  Div: broadcastAll(),
  Pow: (c) => [{ elemType: input(c, 0).elemType, shape: broadcastShapes(input(c, 0).shape, input(c, 1).shape) }],
  Max: broadcastAll(),
  Min: broadcastAll(),
  Sum: broadcastAll(),
  Mean: broadcastAll(),
  Equal: broadcastAll(ElemType.Bool),
  Less: broadcastAll(ElemType.Bool),
  LessOrEqual: broadcastAll(ElemType.Bool),
  Greater: broadcastAll(ElemType.Bool),
  GreaterOrEqual: broadcastAll(ElemType.Bool),
  And: broadcastAll(ElemType.Bool),
  Or: broadcastAll(ElemType.Bool),
  Xor: broadcastAll(ElemType.Bool),
  Where: (c) => [{ elemType: input(c, 1).elemType, shape: broadcastAll()(c)[0].shape }],
  Identity: sameAsFirst,
  Neg: sameAsFirst,
  Abs: sameAsFirst,
  Sign: sameAsFirst,
  Exp: sameAsFirst,
  Log: sameAsFirst,
  Sqrt: sameAsFirst,
  Reciprocal: sameAsFirst,
  Tanh: sameAsFirst,
  Erf: sameAsFirst,
  Sigmoid: sameAsFirst,
  Softplus: sameAsFirst,
  Relu: sameAsFirst,
  Not: sameAsFirst,
  Softmax: sameAsFirst,
  LogSoftmax: sameAsFirst,
  CumSum: sameAsFirst,
  ScatterElements: sameAsFirst,
  ScatterND: sameAsFirst,
  GatherElements: (c) => [{ elemType: input(c, 0).elemType, shape: [...input(c, 1).shape] }],
  Cast: (c) => [{ elemType: intAttr(c, 'to', ElemType.Float) as ElemType, shape: [...input(c, 0).shape] }],
  MatMul: (c) => [{ elemType: input(c, 0).elemType, shape: matmulShape(input(c, 0).shape, input(c, 1).shape) }],
  Gemm: (c) => {
    const a = input(c, 0).shape;
    const b = input(c, 1).shape;
    const m = intAttr(c, 'transA', 0) ? a[1] : a[0];
    const n = intAttr(c, 'transB', 0) ? b[0] : b[1];
    return [{ elemType: input(c, 0).elemType, shape: [m, n] }];
  },
  Transpose: (c) => {
    const x = input(c, 0);
    const perm = intsAttr(c, 'perm') ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    return [{ elemType: x.elemType, shape: perm.map((p) => x.shape[p]) }];
  },
  Reshape: (c) => {
    const target = c.constInts(1);
    if (target === undefined) throw new Error('Reshape needs a constant shape');
    return [{ elemType: input(c, 0).elemType, shape: reshapeShape(c, input(c, 0).shape, target) }];
  },
  Expand: (c) => {
    const target = c.constInts(1);
    if (target === undefined) throw new Error('Expand needs a constant shape');
    return [{ elemType: input(c, 0).elemType, shape: broadcastShapes(input(c, 0).shape, target) }];
  },
  Tile: (c) => {
    const reps = c.constInts(1);
    if (reps === undefined) throw new Error('Tile needs constant repeats');
    const x = input(c, 0);
    return [{ elemType: x.elemType, shape: x.shape.map((d, i) => (reps[i] === 1 ? d : typeof d === 'number' ? d * reps[i] : dimProduct([d, reps[i]]))) }];
  },
  Gather: (c) => {
    const data = input(c, 0);
    const axis = normAxis(intAttr(c, 'axis', 0), data.shape.length);
    return [{ elemType: data.elemType, shape: [...data.shape.slice(0, axis), ...input(c, 1).shape, ...data.shape.slice(axis + 1)] }];
  },
  Slice: (c) => {
    const data = input(c, 0);
    const starts = c.constInts(1);
    const ends = c.constInts(2);
    const axes = c.inputs[3] ? c.constInts(3) : starts?.map((_, i) => i);
    const steps = c.inputs[4] ? c.constInts(4) : starts?.map(() => 1);
    const shape = [...data.shape];
    if (starts === undefined || ends === undefined || axes === undefined || steps === undefined) {
      // Data-dependent bounds: the sliced axes get fresh symbols.
      const axesKnown = c.inputs[3] ? c.constInts(3) : undefined;
      const sliced = axesKnown ?? shape.map((_, i) => i);
      for (const a of sliced) shape[normAxis(a, shape.length)] = c.freshDim();
      return [{ elemType: data.elemType, shape }];
    }
    axes.forEach((a, i) => {
      const ax = normAxis(a, shape.length);
      shape[ax] = sliceLength(shape[ax], starts[i], ends[i], steps[i]) ?? c.freshDim();
    });
    return [{ elemType: data.elemType, shape }];
  },
  Shape: (c) => {
    const rank = input(c, 0).shape.length;
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    const start = norm(intAttr(c, 'start', 0));
    const end = norm(intAttr(c, 'end', rank));
    return [{ elemType: ElemType.Int64, shape: [Math.max(0, end - start)] }];
  },
  Size: () => [{ elemType: ElemType.Int64, shape: [] }],
  Unsqueeze: (c) => {
    const x = input(c, 0);
    const axes = c.constInts(1);
    if (axes === undefined) throw new Error('Unsqueeze needs constant axes');
    const rank = x.shape.length + axes.length;
    const set = new Set(axes.map((a) => normAxis(a, rank)));
    const out: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) out.push(set.has(i) ? 1 : x.shape[j++]);
    return [{ elemType: x.elemType, shape: out }];
  },
  Squeeze: (c) => {
    const x = input(c, 0);
    const axes = c.inputs[1] ? c.constInts(1) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    if (axes === undefined) throw new Error('Squeeze needs constant axes');
    const set = new Set(axes.map((a) => normAxis(a, x.shape.length)));
    return [{ elemType: x.elemType, shape: x.shape.filter((_, i) => !set.has(i)) }];
  },
  Concat: (c) => {
    const first = input(c, 0);
    const axis = normAxis(intAttr(c, 'axis', 0), first.shape.length);
    const shape = [...first.shape];
    shape[axis] = dimSum(c.inputs.map((v) => (v as ValueInfo).shape[axis]));
    return [{ elemType: first.elemType, shape }];
  },
  Split: (c) => {
    const x = input(c, 0);
    const axis = normAxis(intAttr(c, 'axis', 0), x.shape.length);
    const sizes = c.inputs[1] ? c.constInts(1) : undefined;
    if (sizes === undefined) throw new Error('Split needs constant split sizes');
    return sizes.map((size) => {
      const shape = [...x.shape];
      shape[axis] = size;
      return { elemType: x.elemType, shape };
    });
  },
  ConstantOfShape: (c) => {
    const dims = c.constInts(0);
    const value = c.attributes.value;
    const elemType = value?.kind === 'tensor' ? value.value.elemType : ElemType.Float;
    return [{ elemType, shape: dims ?? [c.freshDim()] }];
  },
  Constant: (c) => {
    const value = c.attributes.value;
    if (value?.kind !== 'tensor') throw new Error('Constant needs a tensor value');
    return [{ elemType: value.value.elemType, shape: [...value.value.dims] }];
  },
  Range: (c) => [{ elemType: input(c, 0).elemType, shape: [c.freshDim()] }],
  ReduceSum: reduceWithInputAxes,
  ReduceMean: reduceWithAttrAxes,
  ReduceMax: reduceWithAttrAxes,
  ReduceMin: reduceWithAttrAxes,
  ReduceProd: reduceWithAttrAxes,
  ReduceSumSquare: reduceWithAttrAxes,
  ReduceL2: reduceWithAttrAxes,
  ReduceLogSumExp: reduceWithAttrAxes,
  LayerNormalization: (c) => {
    const x = input(c, 0);
    const axis = normAxis(intAttr(c, 'axis', -1), x.shape.length);
    const stats: Dim[] = x.shape.map((d, i) => (i < axis ? d : 1));
    return [
      { elemType: x.elemType, shape: [...x.shape] },
      { elemType: ElemType.Float, shape: stats },
      { elemType: ElemType.Float, shape: [...stats] },
    ];
  },
  Dropout: (c) => {
    const x = input(c, 0);
    return [
      { elemType: x.elemType, shape: [...x.shape] },
      { elemType: ElemType.Bool, shape: [...x.shape] },
    ];
  },
};

function dimSum(dims: Dim[]): Dim {
  if (dims.every((d): d is number => typeof d === 'number')) return dims.reduce((a, b) => a + b, 0);
  return dims.map(String).join('+');
}

/** Whether bertft can infer outputs for this op type. */
export function canInfer(opType: string): boolean {
  return opType in RULES;
}

/** Output types and shapes of a node of a standard op; throws for ops without a rule. */
export function inferOutputs(opType: string, c: InferContext): TypeAndShape[] {
  const rule = RULES[opType];
  if (rule === undefined) throw new Error(`no shape rule for ONNX op ${opType}; pass the output types explicitly`);
  return rule(c);
}
