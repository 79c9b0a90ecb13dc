import { ElemType, type ConstantTensor, type Graph, type GraphNode } from '../engine/onnx/graph.js';
import { INPUT_NAMES } from '../engine/onnx/trace.js';

/**
 * Makes an exported graph end every row with [SEP], so transformers.js truncates like bertft.
 *
 * Why: transformers.js (v4.3) truncates by cutting the encoded ids at `model_max_length`, after
 * [CLS]/[SEP] were added, so a long text reaches the model as `[CLS] w1 … w127` without its
 * closing [SEP]. Hugging Face tokenizers (bertft, Python `transformers`) cut the words and keep
 * the [SEP]: `[CLS] w1 … w126 [SEP]`. The model was trained on the latter; on 500 IMDB reviews the
 * missing [SEP] changed the label of 8 (a BERT-Tiny SST-2 classifier, max_length 128).
 *
 * The rewrite writes the [SEP] id at each row's last real position (the attention mask's count
 * minus one) before anything reads `input_ids`. A row a tokenizer closed properly already has
 * [SEP] there, so for those rows (every row bertft or Python feeds) it changes nothing; for a row
 * transformers.js cut it replaces w127 by [SEP], which is exactly the Hugging Face truncation of a
 * single text. (Pairs cut longest-first still differ: transformers.js cannot know where to cut.)
 * Rows are assumed right-padded, as BERT tokenizers pad.
 */
export function endRowsWithSep(graph: Graph, sepId: number): Graph {
  const ids = INPUT_NAMES.inputIds;
  const mask = INPUT_NAMES.attentionMask;
  if (!graph.inputs.some((v) => v.name === ids) || !graph.inputs.some((v) => v.name === mask)) {
    throw new Error(`endRowsWithSep needs the graph inputs ${ids} and ${mask}`);
  }
  const p = (s: string) => `sep_guard/${s}`;
  const closed = p('input_ids');
  const initializers = new Map(graph.initializers);
  const int64 = (name: string, dims: number[], values: number[]): string => {
    const t: ConstantTensor = { elemType: ElemType.Int64, dims, values };
    initializers.set(p(name), t);
    return p(name);
  };
  const axis1 = int64('axis1', [1], [1]);
  const zero = int64('zero', [], [0]);
  const one = int64('one', [], [1]);
  const sep = int64('sep_id', [], [sepId]);
  const node = (opType: string, inputs: string[], output: string, attributes: GraphNode['attributes'] = {}): GraphNode => ({
    opType,
    inputs,
    outputs: [output],
    attributes,
  });
  const guard: GraphNode[] = [
    // [B, 1]: real tokens per row; the last one sits at length − 1.
    node('ReduceSum', [mask, axis1], p('length'), { keepdims: { kind: 'int', value: 1 } }),
    node('Sub', [p('length'), one], p('last')),
    // [S]: 0 … sequence_length − 1.
    node('Shape', [ids], p('seq_len'), { start: { kind: 'int', value: 1 }, end: { kind: 'int', value: 2 } }),
    node('Squeeze', [p('seq_len')], p('seq_len_scalar')),
    node('Range', [zero, p('seq_len_scalar'), one], p('positions')),
    // [B, S]: true at each row's last real position.
    node('Equal', [p('positions'), p('last')], p('is_last')),
    node('Where', [p('is_last'), sep, ids], closed),
  ];
  const rewired = graph.nodes.map((n) => (n.inputs.includes(ids) ? { ...n, inputs: n.inputs.map((i) => (i === ids ? closed : i)) } : n));
  return { ...graph, nodes: [...guard, ...rewired], initializers };
}
