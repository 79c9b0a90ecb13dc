import { attr, type GraphBuilder } from '../builder.js';
import { ElemType, type Dim } from '../graph.js';
import { OnnxOps, type OnnxOpsOptions } from '../ops.js';
import type { GraphTarget } from './graph-target.js';
import { DropoutMaskGraph } from './dropout-mask-graph.js';
import type { DropoutMaskMode } from './dropout-masks.js';
import { markSegmentSum, type SegmentInputs } from './segment-sum.js';
import { stopGradient } from './stop-gradient.js';

/** A dropout of the step graph (see {@link TrainingOps}): where its mask comes from. */
export interface DropoutSite {
  /** The site's number in trace order: the `site` word of its masks' keys (dropout-masks.ts). */
  index: number;
  /**
   * Fed masks: the mask input, `dropout_mask_<index>`. Masks made in the graph: the int32 scalar
   * input with the word count of the site's shape, `dropout_size_<j>` (shared by sites of one shape).
   */
  input: string;
  /** Symbolic shape of the masked value, e.g. `[batch_size, 2, sequence_length, sequence_length]`. */
  shape: Dim[];
  rate: number;
}

export interface TrainingOpsOptions extends Pick<OnnxOpsOptions, 'layerNorm'> {
  /**
   * Record dropout as a multiplication by a mask (values 0 or 1/(1 − rate)); each active dropout
   * call adds an entry to `sites`. Off: dropout is the identity.
   */
  dropoutSites?: DropoutSite[];
  /**
   * Where the masks come from (default `fed`): a mask input per site, filled on the host, or nodes
   * that make the same masks in the graph from `dropout_keys` (dropout-mask-graph.ts).
   */
  dropoutMasks?: DropoutMaskMode;
  /** The table whose lookup gradient is summed per row over these fed segments (segment-sum.ts). */
  segments?: { table: string; inputs: SegmentInputs };
  /** The execution provider the graph is written for (graph-target.ts). Default `cpu`. */
  target?: GraphTarget;
}

/**
 * {@link OnnxOps} for training graphs, where weights are graph inputs rather than stored
 * initializers:
 * - `linear` is one `Gemm(x, W, b, transB = 1)` on rows flattened to 2-D, so the [out, in] weight
 *   of a checkpoint is used as is (no Transpose node per step) and its gradient comes out of the
 *   backward Gemm already in that layout;
 * - dropout multiplies by a mask from the counter-based generator of dropout-masks.ts, fed per step
 *   or made in the graph from fed key words, so masks are reproducible from a seed and the same on
 *   every device (onnxruntime's Dropout/RandomUniform seeds are fixed when the session is created).
 *
 * On the `webgpu` target two ops change, for want of WebGPU kernels (graph-target.ts): `linear` on
 * more than two dims is the inference trace's MatMul with a Transpose of the weight (the Gemm form
 * reshapes back with a run-time int64 Concat of shapes), and log-softmax is written out (no
 * LogSoftmax kernel; its ReduceLogSumExp overflows for logits above ~88).
 */
export class TrainingOps extends OnnxOps {
  private readonly sites?: DropoutSite[];
  private readonly segments?: { table: string; inputs: SegmentInputs };
  private readonly target: GraphTarget;
  private readonly maskGraph?: DropoutMaskGraph;

  constructor(builder: GraphBuilder, options: TrainingOpsOptions = {}) {
    const sites = options.dropoutSites;
    super(builder, {
      layerNorm: options.layerNorm,
      dropout: sites ? (_ops, x, rate) => this.maskedDropout(x, rate) : undefined,
    });
    this.sites = sites;
    this.segments = options.segments;
    this.target = options.target ?? 'cpu';
    if (sites && options.dropoutMasks === 'in-graph') this.maskGraph = new DropoutMaskGraph(builder);
  }

  override embedding(table: string, ids: string): string {
    const rows = super.embedding(table, ids);
    if (this.segments?.table === table) markSegmentSum(this.builder, rows, this.segments.inputs);
    return rows;
  }

  override linear(x: string, weight: string, bias?: string): string {
    const b = this.builder;
    const xShape = b.shape(x);
    if (this.target === 'webgpu' && xShape.length !== 2) return super.linear(x, weight, bias);
    const [out, inner] = b.shape(weight);
    const inputs = bias === undefined ? [weight] : [weight, bias];
    if (xShape.length === 2) return b.op('Gemm', [x, ...inputs], { transB: attr.int(1) }, { hint: 'linear' });
    if (typeof inner !== 'number' || typeof out !== 'number') throw new Error('linear: weight dims must be known');
    const rows = b.op('Reshape', [x, b.int64s([-1, inner])], {}, { hint: 'linear_rows' });
    const y = b.op('Gemm', [rows, ...inputs], { transB: attr.int(1) }, { hint: 'linear' });
    // Back to [..., out]: the leading dims are only known at run time.
    const lead = b.op('Shape', [x], { end: attr.int(-1) });
    const target = b.op('Concat', [lead, b.int64s([out])], { axis: attr.int(0) });
    return b.op('Reshape', [y, target], {}, { hint: 'linear_out', outputTypes: [{ elemType: ElemType.Float, shape: [...xShape.slice(0, -1), out] }] });
  }

  /**
   * log softmax over the last axis. webgpu: (x − m) − log Σ exp(x − m) with m the row maximum,
   * whose gradient is stopped (the value does not depend on m), so the backward pass is that of
   * the written-out form: dY − softmax(x) · Σ dY, as the LogSoftmax rule.
   */
  override logSoftmax(x: string): string {
    if (this.target !== 'webgpu') return super.logSoftmax(x);
    const b = this.builder;
    const max = stopGradient(b, b.op('ReduceMax', [x], { axes: attr.ints([-1]), keepdims: attr.int(1) }, { hint: 'row_max' }));
    const shifted = b.op('Sub', [x, max]);
    const logSum = b.op('Log', [b.op('ReduceSum', [b.op('Exp', [shifted]), b.int64s([-1])], { keepdims: attr.int(1) })]);
    return b.op('Sub', [shifted, logSum], {}, { hint: 'log_softmax' });
  }

  private maskedDropout(x: string, rate: number): string {
    if (rate <= 0 || this.sites === undefined) return x;
    const b = this.builder;
    const index = this.sites.length;
    const shape = [...b.shape(x)];
    if (this.maskGraph) {
      const { mask, size } = this.maskGraph.mask(x, rate, index);
      this.sites.push({ index, input: size, shape, rate });
      return b.op('Mul', [x, mask], {}, { hint: 'dropout' });
    }
    const input = b.addInput(`dropout_mask_${index}`, ElemType.Float, shape);
    this.sites.push({ index, input, shape, rate });
    return b.op('Mul', [x, input], {}, { hint: 'dropout' });
  }
}
