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

/**
 * The separator guard of per-token outputs (token classification): a row transformers.js cut gets
 * its [SEP] appended after its last real token instead of written over it, and the output is cut
 * back to the input's length, so every token transformers.js reports keeps its own logits.
 *
 * Why not {@link endRowsWithSep}: it makes the cut row's last piece the [SEP], and transformers.js
 * still reports that piece (it decodes its own ids), with the logits of the [SEP] slot, which the
 * model never learned to label. On 51 WikiANN texts longer than 128 pieces (a BERT-Tiny NER model)
 * that slot said I-ORG or B-PER every time: a made-up entity at the end of each long text. Without
 * any guard the missing [SEP] moved 104 of the other 6,426 token labels.
 *
 * With the export's `model_max_length` one below the trained length (onnx-export.ts),
 * transformers.js cuts a long text to `[CLS] w1 … w126`; the graph runs `[CLS] w1 … w126 [SEP]`,
 * Hugging Face's truncation at the trained length, and returns the logits of the 127 positions it
 * was given: the same tokens with the same scores as Python's pipeline and bertft's first window.
 * A row that ends with [SEP] already (every row bertft or Python feeds, every text within the
 * length) gets a padding column (attention mask 0), which changes none of its outputs.
 * `output` is the per-token output ([batch, sequence, …]); rows are assumed right-padded.
 */
export function appendSepToCutRows(graph: Graph, sepId: number, padId: number, output: string): Graph {
  const ids = INPUT_NAMES.inputIds;
  const mask = INPUT_NAMES.attentionMask;
  const types = INPUT_NAMES.tokenTypeIds;
  if (!graph.inputs.some((v) => v.name === ids) || !graph.inputs.some((v) => v.name === mask)) {
    throw new Error(`appendSepToCutRows needs the graph inputs ${ids} and ${mask}`);
  }
  const producer = graph.nodes.findIndex((n) => n.outputs.includes(output));
  if (producer < 0 || !graph.outputs.some((v) => v.name === output)) throw new Error(`appendSepToCutRows: no graph output ${output}`);
  const p = (s: string) => `sep_append/${s}`;
  const initializers = new Map(graph.initializers);
  const int64 = (name: string, dims: number[], values: number[]): string => {
    initializers.set(p(name), { elemType: ElemType.Int64, dims, values });
    return p(name);
  };
  const axis1 = int64('axis1', [1], [1]);
  const zero = int64('zero', [], [0]);
  const one = int64('one', [], [1]);
  const sep = int64('sep_id', [], [sepId]);
  const pad = int64('pad_id', [], [padId]);
  const int = (value: number) => ({ kind: 'int' as const, value });
  const node = (opType: string, inputs: string[], out: string, attributes: GraphNode['attributes'] = {}): GraphNode => ({
    opType,
    inputs,
    outputs: [out],
    attributes,
  });
  const hasTypes = graph.nodes.some((n) => n.inputs.includes(types));
  const guard: GraphNode[] = [
    // [B, 1]: real tokens per row, and the id at the last of them; a row is cut when that is not [SEP].
    node('ReduceSum', [mask, axis1], p('length'), { keepdims: int(1) }),
    node('Sub', [p('length'), one], p('last')),
    node('GatherElements', [ids, p('last')], p('last_id'), { axis: int(1) }),
    node('Equal', [p('last_id'), sep], p('closed')),
    node('Not', [p('closed')], p('cut')),
    // [B, 1] columns of padding and of zeros, appended to every row.
    node('Mul', [p('last_id'), zero], p('zero_col')),
    node('Add', [p('zero_col'), pad], p('pad_col')),
    node('Concat', [ids, p('pad_col')], p('ids_wide'), { axis: int(1) }),
    node('Concat', [mask, p('zero_col')], p('mask_wide'), { axis: int(1) }),
    // [B, S + 1]: true at the position after a cut row's last token.
    node('Shape', [p('ids_wide')], p('wide_len'), { start: int(1), end: int(2) }),
    node('Squeeze', [p('wide_len')], p('wide_len_scalar')),
    node('Range', [zero, p('wide_len_scalar'), one], p('positions')),
    node('Equal', [p('positions'), p('length')], p('after_last')),
    node('And', [p('after_last'), p('cut')], p('is_new')),
    node('Where', [p('is_new'), sep, p('ids_wide')], p('input_ids')),
    node('Where', [p('is_new'), one, p('mask_wide')], p('attention_mask')),
    // The output back to the input's S positions.
    node('Shape', [ids], p('seq_len'), { start: int(1), end: int(2) }),
  ];
  if (hasTypes) {
    // The appended [SEP] takes the type of the token before it.
    guard.push(node('GatherElements', [types, p('last')], p('last_type'), { axis: int(1) }));
    guard.push(node('Concat', [types, p('last_type')], p('token_type_ids'), { axis: int(1) }));
  }
  const renamed: Record<string, string> = { [ids]: p('input_ids'), [mask]: p('attention_mask'), ...(hasTypes ? { [types]: p('token_type_ids') } : {}) };
  const wide = p(`${output}_wide`);
  const rewired = graph.nodes.map((n, i) => ({
    ...n,
    inputs: n.inputs.map((x) => renamed[x] ?? x),
    outputs: i === producer ? n.outputs.map((o) => (o === output ? wide : o)) : n.outputs,
  }));
  const zeroStart = int64('slice_start', [1], [0]);
  const cut = node('Slice', [wide, zeroStart, p('seq_len'), axis1], output);
  return { ...graph, nodes: [...guard, ...rewired, cut], initializers };
}
