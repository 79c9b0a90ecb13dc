import type { HostTensor } from '../../models/host-tensor.js';
import type { TensorOps } from '../../models/ops.js';
import { attr, type GraphBuilder } from './builder.js';
import { ElemType } from './graph.js';

/**
 * Emits dropout for a value. The default is the identity (inference); the training engine plugs
 * in ONNX `Dropout` with `training_mode`, or a multiplication by a fed mask.
 */
export type DropoutEmitter = (ops: OnnxOps, x: string, rate: number) => string;

export interface OnnxOpsOptions {
  /** How dropout is recorded (default: not at all — the identity). */
  dropout?: DropoutEmitter;
  /**
   * `fused` (default) emits ONNX `LayerNormalization` (opset 17), one kernel in onnxruntime;
   * `decomposed` emits ReduceMean/Sub/Mul/Sqrt/Div primitives, for consumers that want only
   * elementary ops (onnxruntime re-fuses that pattern when optimising).
   */
  layerNorm?: 'fused' | 'decomposed';
}

const SQRT2 = Math.SQRT2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_TANH_CUBIC = 0.044715;

/**
 * {@link TensorOps} that record standard ONNX (opset 17) nodes instead of computing: a tensor is
 * the name of a graph value. Running the BERT definition over these ops traces the model.
 *
 * Weights that are initializers get transposed once at trace time (`x · Wᵀ` becomes a plain
 * `MatMul` with a stored `[in, out]` matrix, which onnxruntime pre-packs); weights that are graph
 * inputs (training) get a `Transpose` node instead.
 */
export class OnnxOps implements TensorOps<string> {
  private readonly transposed = new Map<string, string>();

  constructor(
    readonly builder: GraphBuilder,
    private readonly options: OnnxOpsOptions = {},
  ) {}

  /** `w` with its last two axes swapped: a stored copy for initializers, a node otherwise. */
  private swapLastTwo(w: string): string {
    const rank = this.builder.rank(w);
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
    const stored = this.builder.graph.initializers.get(w);
    if (stored === undefined || stored.elemType !== ElemType.Float || rank !== 2) {
      return this.builder.op('Transpose', [w], { perm: attr.ints(perm) });
    }
    const cached = this.transposed.get(w);
    if (cached !== undefined) return cached;
    const [rows, cols] = stored.dims;
    const src = stored.values as Float32Array;
    const out = new Float32Array(src.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
    const name = this.builder.addInitializer(this.builder.fresh(`${w}.T`), { elemType: ElemType.Float, dims: [cols, rows], values: out });
    this.transposed.set(w, name);
    return name;
  }

  linear(x: string, weight: string, bias?: string): string {
    const y = this.builder.op('MatMul', [x, this.swapLastTwo(weight)], {}, { hint: 'linear' });
    return bias === undefined ? y : this.builder.op('Add', [y, bias], {}, { hint: 'linear_bias' });
  }

  matmul(a: string, b: string, transposeB = false): string {
    return this.builder.op('MatMul', [a, transposeB ? this.swapLastTwo(b) : b]);
  }

  add(a: string, b: string): string {
    return this.builder.op('Add', [a, b]);
  }

  sub(a: string, b: string): string {
    return this.builder.op('Sub', [a, b]);
  }

  mul(a: string, b: string): string {
    return this.builder.op('Mul', [a, b]);
  }

  div(a: string, b: string): string {
    return this.builder.op('Div', [a, b]);
  }

  affine(x: string, factor: number, offset = 0): string {
    const scaled = factor === 1 ? x : this.builder.op('Mul', [x, this.builder.scalar(factor)]);
    return offset === 0 ? scaled : this.builder.op('Add', [scaled, this.builder.scalar(offset)]);
  }

  embedding(table: string, ids: string): string {
    return this.builder.op('Gather', [table, ids], { axis: attr.int(0) }, { hint: 'embedding' });
  }

  leadingRows(table: string, ids: string, offset = 0): string {
    const b = this.builder;
    // Shape(ids)[1:2] is the run-time sequence length; slicing the table to it keeps one graph for every length.
    const length = b.op('Shape', [ids], { start: attr.int(1), end: attr.int(2) }, { hint: 'seq_len' });
    // A constant start (differentiable: the Slice VJP pads the gradient back); the end follows it.
    const end = offset === 0 ? length : b.op('Add', [length, b.int64s([offset])], {}, { hint: 'rows_end' });
    const rows = b.shape(ids)[1];
    const cols = b.shape(table)[1];
    return b.op(
      'Slice',
      [table, b.int64s([offset]), end, b.int64s([0])],
      {},
      {
        hint: 'leading_rows',
        outputTypes: [{ elemType: b.elemType(table), shape: [rows, cols] }],
      },
    );
  }

  reshape(x: string, shape: number[]): string {
    return this.builder.op('Reshape', [x, this.builder.int64s(shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.builder.op('Transpose', [x], { perm: attr.ints(perm) });
  }

  softmax(x: string): string {
    return this.builder.op('Softmax', [x], { axis: attr.int(-1) });
  }

  logSoftmax(x: string): string {
    return this.builder.op('LogSoftmax', [x], { axis: attr.int(-1) });
  }

  sigmoid(x: string): string {
    return this.builder.op('Sigmoid', [x]);
  }

  logSigmoid(x: string): string {
    // log σ(x) = min(x, 0) − log(1 + exp(−|x|)): exp never sees a positive argument, so no overflow.
    const b = this.builder;
    const negAbs = b.op('Neg', [b.op('Abs', [x])]);
    const log1pExp = b.op('Log', [b.op('Add', [b.op('Exp', [negAbs]), b.scalar(1)])]);
    return b.op('Sub', [b.op('Min', [x, b.scalar(0)]), log1pExp], {}, { hint: 'log_sigmoid' });
  }

  gelu(x: string): string {
    // Div → Erf → Add → Mul → Mul is the exact pattern onnxruntime's GeluFusion turns into one Gelu kernel.
    const b = this.builder;
    const erf = b.op('Erf', [b.op('Div', [x, b.scalar(SQRT2)])]);
    const inner = b.op('Mul', [x, b.op('Add', [erf, b.scalar(1)])]);
    return b.op('Mul', [inner, b.scalar(0.5)], {}, { hint: 'gelu' });
  }

  geluTanh(x: string): string {
    // ½x · (1 + tanh(√(2/π) · (x + 0.044715·x³))), in the Mul/Add/Tanh primitives autodiff already differentiates.
    const b = this.builder;
    const cube = b.op('Mul', [b.op('Mul', [x, x]), x]);
    const inner = b.op('Mul', [b.op('Add', [x, b.op('Mul', [cube, b.scalar(GELU_TANH_CUBIC)])]), b.scalar(SQRT_2_OVER_PI)]);
    const gate = b.op('Add', [b.op('Tanh', [inner]), b.scalar(1)]);
    return b.op('Mul', [b.op('Mul', [x, b.scalar(0.5)]), gate], {}, { hint: 'gelu_tanh' });
  }

  tanh(x: string): string {
    return this.builder.op('Tanh', [x]);
  }

  relu(x: string): string {
    return this.builder.op('Relu', [x]);
  }

  layerNorm(x: string, gamma: string, beta: string | undefined, eps: number): string {
    const b = this.builder;
    if (this.options.layerNorm !== 'decomposed') {
      return b.op(
        'LayerNormalization',
        beta === undefined ? [x, gamma] : [x, gamma, beta],
        { axis: attr.int(-1), epsilon: attr.float(eps) },
        { hint: 'layer_norm' },
      );
    }
    const centered = b.op('Sub', [x, b.op('ReduceMean', [x], { axes: attr.ints([-1]), keepdims: attr.int(1) })]);
    const variance = b.op('ReduceMean', [b.op('Mul', [centered, centered])], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const std = b.op('Sqrt', [b.op('Add', [variance, b.scalar(eps)])]);
    const normed = b.op('Div', [centered, std]);
    const scaled = b.op('Mul', [normed, gamma]);
    return beta === undefined ? scaled : b.op('Add', [scaled, beta], {}, { hint: 'layer_norm' });
  }

  sum(x: string, axis: number, keepDims = false): string {
    return this.builder.op('ReduceSum', [x, this.builder.int64s([axis])], { keepdims: attr.int(keepDims ? 1 : 0) });
  }

  mean(x: string, axis: number, keepDims = false): string {
    // Opset 17 ReduceMean still takes its axes as an attribute (an input only from opset 18).
    return this.builder.op('ReduceMean', [x], { axes: attr.ints([axis]), keepdims: attr.int(keepDims ? 1 : 0) });
  }

  splitLast(x: string, widths: number[]): string[] {
    // Opset 13+ Split takes the part sizes as an input; its VJP is one Concat along the same axis.
    const b = this.builder;
    return b.add('Split', [x, b.int64s(widths)], { axis: attr.int(-1) }, { outputs: widths.length, hint: 'split' });
  }

  selectAlongAxis1(x: string, index: number): string {
    // A 0-D index makes Gather drop the axis.
    return this.builder.op('Gather', [x, this.builder.int64Scalar(index)], { axis: attr.int(1) }, { hint: 'select' });
  }

  relativeSelection(ids: string, table: HostTensor): string {
    // In the graph, from the run-time length: distances d[i, j] = i − j + M − 1 from a Range, rows of the table gathered by them.
    const b = this.builder;
    const [rows, K] = table.shape as [number, number];
    const S = b.shape(ids)[1]!;
    const stored = b.addInitializer(b.fresh('relative_table'), { elemType: ElemType.Float, dims: [rows, K], values: table.data });
    const length = b.op('Reshape', [b.op('Shape', [ids], { start: attr.int(1), end: attr.int(2) }, { hint: 'seq_len' }), b.int64s([])]);
    const int64 = (shape: (string | number)[]) => ({ outputTypes: [{ elemType: ElemType.Int64, shape }] });
    const positions = b.op('Range', [b.int64Scalar(0), length, b.int64Scalar(1)], {}, int64([S]));
    const column = b.op('Reshape', [positions, b.int64s([-1, 1])], {}, int64([S, 1]));
    const row = b.op('Reshape', [positions, b.int64s([1, -1])], {}, int64([1, S]));
    const distance = b.op('Add', [b.op('Sub', [column, row], {}, int64([S, S])), b.int64s([(rows - 1) / 2])], {}, int64([S, S]));
    const picked = b.op('Gather', [stored, distance], { axis: attr.int(0) }, { outputTypes: [{ elemType: ElemType.Float, shape: [S, S, K] }] });
    return b.op('Transpose', [picked], { perm: attr.ints([0, 2, 1]) }, { hint: 'relative_selection' });
  }

  dropout(x: string, rate: number): string {
    return this.options.dropout ? this.options.dropout(this, x, rate) : x;
  }

  constant(values: Float32Array, shape: number[]): string {
    return this.builder.addInitializer(this.builder.fresh('table'), { elemType: ElemType.Float, dims: shape, values });
  }
}
