import { attr, type GraphBuilder } from '../builder.js';
import { ElemType } from '../graph.js';

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
