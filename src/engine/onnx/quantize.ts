import { ElemType, type ConstantTensor, type Graph, type GraphNode } from './graph.js';

/**
 * Dynamic int8 quantization of an inference graph, the kind transformers.js ships as
 * `model_quantized.onnx`:
 *
 * - `MatMul(x, W)` with a stored `W [K, N]` becomes
 *   `DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q) → Cast → Mul(x_scale · w_scale)`,
 *   with int8 weights scaled per output column (symmetric, zero point 0). onnxruntime fuses the
 *   chain into one DynamicQuantizeMatMul kernel.
 * - `Gather(E, ids)` on a stored embedding table becomes a gather of int8 rows times a gathered
 *   per-row scale: the table (most of BERT-Tiny's bytes) shrinks 4×.
 *
 * Everything else (LayerNorm, softmax, biases, the small position/type tables) stays float32.
 */

export interface QuantizeResult {
  graph: Graph;
  /** How many MatMuls and embedding Gathers were quantized. */
  matmuls: number;
  embeddings: number;
}

/** Per-group symmetric int8: `values[i] ≈ q[i] · scale[group(i)]`. */
function symmetricInt8(values: Float32Array, groups: number, groupOf: (i: number) => number): { q: Int8Array; scales: Float32Array } {
  const maxAbs = new Float32Array(groups);
  for (let i = 0; i < values.length; i++) {
    const g = groupOf(i);
    const a = Math.abs(values[i]);
    if (a > maxAbs[g]) maxAbs[g] = a;
  }
  // An all-zero group gets scale 1 so dequantization never divides by zero.
  const scales = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.round(values[i] / scales[groupOf(i)]);
  return { q, scales };
}

function storedFloatMatrix(graph: Graph, name: string): ConstantTensor | undefined {
  const t = graph.initializers.get(name);
  return t !== undefined && t.elemType === ElemType.Float && t.dims.length === 2 && t.values instanceof Float32Array ? t : undefined;
}

/** Returns a quantized copy of `graph` (the input graph is not modified). */
export function quantizeGraph(graph: Graph): QuantizeResult {
  const initializers = new Map(graph.initializers);
  const nodes: GraphNode[] = [];
  let counter = 0;
  const fresh = (hint: string) => `q/${hint}_${counter++}`;
  const store = (hint: string, t: ConstantTensor) => {
    const name = fresh(hint);
    initializers.set(name, t);
    return name;
  };
  const emit = (opType: string, inputs: string[], outputs: string[], attributes: GraphNode['attributes'] = {}) =>
    nodes.push({ opType, inputs, outputs, attributes });
  const quantizedWeights = new Map<string, { q: string; scales: string }>();
  const quantizedTables = new Map<string, { q: string; scales: string }>();
  let matmuls = 0;
  let embeddings = 0;

  for (const node of graph.nodes) {
    const w = node.opType === 'MatMul' ? storedFloatMatrix(graph, node.inputs[1]) : undefined;
    if (w !== undefined) {
      const [K, N] = w.dims;
      let qw = quantizedWeights.get(node.inputs[1]);
      if (qw === undefined) {
        const { q, scales } = symmetricInt8(w.values as Float32Array, N, (i) => i % N);
        qw = {
          q: store('w_int8', { elemType: ElemType.Int8, dims: [K, N], values: q }),
          scales: store('w_scale', { elemType: ElemType.Float, dims: [N], values: scales }),
        };
        quantizedWeights.set(node.inputs[1], qw);
      }
      const [xq, xs, xzp, acc, accF, scale] = ['x_q', 'x_scale', 'x_zero', 'acc', 'acc_f', 'scale'].map(fresh);
      emit('DynamicQuantizeLinear', [node.inputs[0]], [xq, xs, xzp]);
      emit('MatMulInteger', [xq, qw.q, xzp], [acc]);
      emit('Cast', [acc], [accF], { to: { kind: 'int', value: ElemType.Float } });
      emit('Mul', [xs, qw.scales], [scale]);
      emit('Mul', [accF, scale], [node.outputs[0]]);
      matmuls++;
      continue;
    }
    const axis = node.attributes.axis;
    const table =
      node.opType === 'Gather' && (axis === undefined || (axis.kind === 'int' && axis.value === 0)) ? storedFloatMatrix(graph, node.inputs[0]) : undefined;
    // Only large tables pay off; the 2-row token-type table is not worth two extra nodes.
    if (table !== undefined && table.dims[0] >= 1024) {
      const [V, H] = table.dims;
      let qt = quantizedTables.get(node.inputs[0]);
      if (qt === undefined) {
        const { q, scales } = symmetricInt8(table.values as Float32Array, V, (i) => Math.floor(i / H));
        qt = {
          q: store('table_int8', { elemType: ElemType.Int8, dims: [V, H], values: q }),
          scales: store('table_scale', { elemType: ElemType.Float, dims: [V, 1], values: scales }),
        };
        quantizedTables.set(node.inputs[0], qt);
      }
      const [rows, rowsF, rowScale] = ['rows_q', 'rows_f', 'row_scale'].map(fresh);
      emit('Gather', [qt.q, node.inputs[1]], [rows], { axis: { kind: 'int', value: 0 } });
      emit('Cast', [rows], [rowsF], { to: { kind: 'int', value: ElemType.Float } });
      // Scales stored as [V, 1], so the gathered [..., 1] broadcasts over the hidden axis.
      emit('Gather', [qt.scales, node.inputs[1]], [rowScale], { axis: { kind: 'int', value: 0 } });
      emit('Mul', [rowsF, rowScale], [node.outputs[0]]);
      embeddings++;
      continue;
    }
    nodes.push(node);
  }
  // Drop the float originals that no node reads any more.
  const used = new Set(nodes.flatMap((n) => n.inputs));
  for (const name of [...initializers.keys()]) if (!used.has(name)) initializers.delete(name);
  return { graph: { ...graph, nodes, initializers }, matmuls, embeddings };
}
