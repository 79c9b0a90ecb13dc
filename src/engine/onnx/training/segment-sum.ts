import { attr, type GraphBuilder } from '../builder.js';
import { ElemType, type Dim } from '../graph.js';
import { zerosShapedLike } from './vjp/webgpu.js';

/**
 * Deterministic gradients of embedding lookups.
 *
 * The gradient of `Gather(table, ids)` adds each token's gradient row into the row of its id. As
 * ScatterND with reduction `add`, onnxruntime's CPU kernel splits the updates over its intra-op
 * threads, which then add into shared rows in whatever order they run (scatter_nd.cc: a
 * TryParallelFor of plain `+=`). The sums then differ in their last bits from run to run, and the
 * difference grows over training: two runs with the same seed on 2 threads differed in a weight
 * after the first step and by ±0.5 points of accuracy after a few epochs.
 *
 * Here the sums are formed in a fixed order instead. The host sorts the token positions by row
 * (a counting sort, `segmentsOf`) and feeds the order and each row's [start, end) in it; the graph
 * gathers the gradient rows in that order, takes a running sum down the tokens in float64
 * (CumSum), and each table row's gradient is the difference of the running sum at its end and at
 * its start, rounded to float32. float64 carries 29 more bits than the float32 sums, so the result
 * equals the exact sum rounded to float32 up to a rare last-bit tie, for any number of threads.
 */

/** The fed inputs of one table's segments. */
export interface SegmentInputs {
  /** Token positions (flat b·S + s) sorted by table row, int64 [tokens]. */
  order: string;
  /** Per table row, where its tokens start and end in `order`, int64 [rows]. */
  start: string;
  end: string;
}

const marks = new WeakMap<GraphBuilder, Map<string, SegmentInputs>>();

/** Records that the Gather producing `output` takes its table gradient as segment sums over `inputs`. */
export function markSegmentSum(b: GraphBuilder, output: string, inputs: SegmentInputs): void {
  let table = marks.get(b);
  if (table === undefined) marks.set(b, (table = new Map()));
  table.set(output, inputs);
}

/** The segment inputs of a Gather output, or undefined for a Gather whose gradient is a plain scatter. */
export function segmentInputsOf(b: GraphBuilder, output: string): SegmentInputs | undefined {
  return marks.get(b)?.get(output);
}

/** Per-row sums of the rows of `rows2d` ([tokens, H] float) as the segments say: [table rows, H] float. */
export function segmentSum(b: GraphBuilder, rows2d: string, width: number, s: SegmentInputs): string {
  const sorted = b.op('Gather', [rows2d, s.order], { axis: attr.int(0) }, { hint: 'seg_sorted' });
  const wide = b.op('Cast', [sorted], { to: attr.int(ElemType.Double) }, { hint: 'seg_f64' });
  const running = b.op('CumSum', [wide, b.int64Scalar(0)], {}, { hint: 'seg_cumsum' });
  const zeroRow = b.op('Cast', [b.op('ConstantOfShape', [b.int64s([1, width])], {}, { outputTypes: [{ elemType: ElemType.Float, shape: [1, width] }] })], {
    to: attr.int(ElemType.Double),
  });
  // Running sum with a leading zero row: the sum of tokens [start, end) is padded[end] − padded[start].
  const padded = b.op('Concat', [zeroRow, running], { axis: attr.int(0) }, { hint: 'seg_prefix' });
  const hi = b.op('Gather', [padded, s.end], { axis: attr.int(0) });
  const lo = b.op('Gather', [padded, s.start], { axis: attr.int(0) });
  return b.op('Cast', [b.op('Sub', [hi, lo])], { to: attr.int(ElemType.Float) }, { hint: 'seg_sums' });
}

/**
 * Doubling steps of {@link segmentSumByScan}: segments of up to 2^24 tokens, the range in which
 * float32 holds every token position exactly.
 */
export const SCAN_STEPS = 24;

/**
 * {@link segmentSum} for the webgpu graph target (graph-target.ts), whose provider has no float64
 * and no int64 arithmetic: the same per-row sums over the same fed segments, in float32 and still
 * in a fixed order. The sorted rows get a segmented inclusive scan (Hillis–Steele: at step k each
 * token adds the partial sum 2^k tokens back when that token is in its segment), and each table
 * row takes the scan at its segment's last token, or 0 for a row without tokens. A row of n tokens
 * is summed as a tree of depth ⌈log2 n⌉, so it differs from the CPU target's exactly rounded sum by
 * float32 rounding (about log2(n) ulps of the terms' magnitude), identically from run to run.
 *
 * Positions are float (exact below 2^24): the provider has Gather and Shape for int64 but no int64
 * Sub, Cast or Reshape. `ids` are the lookup's table rows (any shape, int64), which place each
 * token's segment start: start[ids] gathered in the sorted order; `rows` is the table's row count.
 */
export function segmentSumByScan(b: GraphBuilder, rows2d: string, rows: Dim, ids: string, s: SegmentInputs): string {
  const [, width] = b.shape(rows2d);
  if (typeof width !== 'number') throw new Error('segment sums need rows of known width');
  const float = (shape: Dim[]) => ({ outputTypes: [{ elemType: ElemType.Float, shape }] });
  const sorted = b.op('Gather', [rows2d, s.order], { axis: attr.int(0) }, { hint: 'seg_sorted' });
  const [tokens] = b.shape(sorted);
  // 0 … N as float (N + 1 values: a segment's start or end may be N).
  const ones = b.op('Expand', [b.scalar(1), b.op('Shape', [sorted], { start: attr.int(0), end: attr.int(1) })], {}, float([tokens!]));
  const iota = b.op('CumSum', [b.op('Concat', [b.constant(ElemType.Float, [1], [1]), ones], { axis: attr.int(0) }, float([b.freshDim()])), b.int64Scalar(0)], {
    exclusive: attr.int(1),
  });
  const column = (x: string, dim: Dim) => b.op('Reshape', [x, b.int64s([-1, 1])], {}, float([dim, 1]));
  const startF = b.op('Gather', [iota, s.start], { axis: attr.int(0) }, float([rows]));
  const endF = b.op('Gather', [iota, s.end], { axis: attr.int(0) }, float([rows]));
  // How far each sorted token is from its segment's first token.
  const segmentHead = b.op('Gather', [b.op('Reshape', [b.op('Gather', [startF, ids], { axis: attr.int(0) }), b.int64s([-1])], {}, float([tokens!])), s.order], {
    axis: attr.int(0),
  });
  const position = b.op('Slice', [iota, b.int64s([0]), b.int64s([-1]), b.int64s([0])], {}, float([tokens!]));
  const offset = column(b.op('Sub', [position, segmentHead]), tokens!);
  const zeros = zerosShapedLike(b, sorted);
  let scan = sorted;
  for (let k = 0; k < SCAN_STEPS; k++) {
    const d = 2 ** k;
    // scan shifted down by d rows, zeros in the first d (Slice clamps, so d may exceed N).
    const head = b.op('Slice', [zeros, b.int64s([0]), b.int64s([d]), b.int64s([0])], {}, float([b.freshDim(), width]));
    const body = b.op('Slice', [scan, b.int64s([0]), b.int64s([-d]), b.int64s([0])], {}, float([b.freshDim(), width]));
    const shifted = b.op('Concat', [head, body], { axis: attr.int(0) }, float([tokens!, width]));
    const inSegment = b.op('GreaterOrEqual', [offset, b.scalar(d)]);
    scan = b.op('Add', [scan, b.op('Where', [inSegment, shifted, b.scalar(0)])], {}, { hint: 'seg_scan' });
  }
  // Row r's sum is the scan at its segment's last token: row end[r] of the scan with a zero row in front.
  const zeroRow = b.op('Expand', [b.scalar(0), b.int64s([1, width])], {}, float([1, width]));
  const prefixed = b.op('Concat', [zeroRow, scan], { axis: attr.int(0) }, { hint: 'seg_prefix', ...float([b.freshDim(), width]) });
  const atEnd = b.op('Gather', [prefixed, s.end], { axis: attr.int(0) }, float([rows, width]));
  const hasTokens = b.op('Greater', [column(endF, rows), column(startF, rows)]);
  return b.op('Where', [hasTokens, atEnd, b.scalar(0)], {}, { hint: 'seg_sums' });
}

/** The fed arrays of a table's segments, from each token's table row (a stable counting sort). */
export function segmentsOf(rowOfToken: Int32Array, tableRows: number): { order: Int32Array; start: Int32Array; end: Int32Array } {
  const end = new Int32Array(tableRows);
  for (let i = 0; i < rowOfToken.length; i++) end[rowOfToken[i]!]! += 1;
  const start = new Int32Array(tableRows);
  let at = 0;
  for (let r = 0; r < tableRows; r++) {
    start[r] = at;
    at += end[r]!;
    end[r] = start[r]!;
  }
  const order = new Int32Array(rowOfToken.length);
  // `end` doubles as each row's fill position; it ends at the row's end.
  for (let i = 0; i < rowOfToken.length; i++) order[end[rowOfToken[i]!]!++] = i;
  return { order, start, end };
}
