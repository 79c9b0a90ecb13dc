import { BertftError, UsageError } from '../../errors.js';
import { bertForward, bertParamNames, bertParamShape, pooledFeatures, type BertInputs, type Pooling } from '../../models/bert/bert.js';
import type { BertConfig } from '../../models/bert/config.js';
import { classifierParamNames, classifierParamShape, classifierWidth, sequenceClassifierLogits } from '../../heads/classification.js';
import { tokenClassifierLogits, tokenHeadKind } from '../../heads/token-classification.js';
import { maskedLmLogits, maskedLmParamNames, maskedLmParamShape, maskedLmSequenceLogits, tiedDecoder } from '../../heads/masked-lm.js';
import type { HostTensor } from '../../models/host-tensor.js';
import { embeddingWidth, familyOf, type HeadKind } from '../../models/bert/family.js';
import { attr, GraphBuilder } from './builder.js';
import { ElemType, type Dim, type Graph } from './graph.js';
import { OnnxOps, type OnnxOpsOptions } from './ops.js';
import { pruneGraph } from './prune.js';

/** Graph input names and dims, as transformers.js (and Optimum's BERT exports) use them. */
export const INPUT_NAMES = { inputIds: 'input_ids', attentionMask: 'attention_mask', tokenTypeIds: 'token_type_ids' } as const;
export const BATCH_DIM = 'batch_size';
export const SEQUENCE_DIM = 'sequence_length';
/** The extra input of a masked-LM graph that scores only some rows, and its length. */
export const MASKED_POSITIONS = 'masked_positions';
export const MASKED_DIM = 'num_masked';

/** Where a parameter lives: stored in the model (inference) or fed on every run (training). */
export type ParamPlacement = 'initializer' | 'input';

export interface TraceWithOptions {
  /** Parameters by name (HF names without `bert.`); for `input` placement only their shapes matter. */
  weights: ReadonlyMap<string, HostTensor>;
  /** All parameters one way, or a choice per name (e.g. frozen → initializer, trainable → input). */
  params?: ParamPlacement | ((name: string) => ParamPlacement);
  ops?: OnnxOpsOptions;
  graphName?: string;
}

/** What the tracing function receives. */
export interface TraceContext {
  builder: GraphBuilder;
  ops: OnnxOps;
  /** Parameter name → graph value name (the same string). */
  params: Map<string, string>;
  /** `input_ids`/`token_type_ids` (int64) and the attention mask cast to float, all [batch_size, sequence_length]. */
  inputs: BertInputs<string>;
}

export interface TraceResult<R> {
  graph: Graph;
  builder: GraphBuilder;
  /** What `fn` returned. */
  result: R;
}

/**
 * Declares the standard BERT inputs and the parameters, then runs `fn` over {@link OnnxOps} to
 * record a graph. The graph is returned unpruned, so a caller may keep appending (a backward pass,
 * an optimizer step) with the same builder before adding outputs.
 */
export function traceWith<R>(options: TraceWithOptions, fn: (ctx: TraceContext) => R): TraceResult<R> {
  const builder = new GraphBuilder(options.graphName ?? 'bertft');
  const shape: Dim[] = [BATCH_DIM, SEQUENCE_DIM];
  const inputIds = builder.addInput(INPUT_NAMES.inputIds, ElemType.Int64, shape);
  const maskInt = builder.addInput(INPUT_NAMES.attentionMask, ElemType.Int64, shape);
  const tokenTypeIds = builder.addInput(INPUT_NAMES.tokenTypeIds, ElemType.Int64, shape);
  // The mask is multiplied into scores and sums, so the model wants it as float. A lookup in [0, 1] rather than a
  // Cast: the same values for a 0/1 mask, and onnxruntime's WebGPU provider has Gather with int64 indices but no
  // Cast from int64, so the node stays on the GPU (docs/gpu.md). A mask value other than 0 or 1 is out of range.
  const maskValues = builder.addInitializer('mask_values', { elemType: ElemType.Float, dims: [2], values: new Float32Array([0, 1]) });
  const attentionMask = builder.op('Gather', [maskValues, maskInt], { axis: attr.int(0) }, { hint: 'mask_float' });

  const placement = options.params ?? 'initializer';
  const placeOf = typeof placement === 'function' ? placement : () => placement;
  const params = new Map<string, string>();
  for (const [name, t] of options.weights) {
    if (placeOf(name) === 'input') builder.addInput(name, ElemType.Float, [...t.shape]);
    else builder.addInitializer(name, { elemType: ElemType.Float, dims: [...t.shape], values: t.data });
    params.set(name, name);
  }
  const ops = new OnnxOps(builder, options.ops);
  const result = fn({ builder, ops, params, inputs: { inputIds, tokenTypeIds, attentionMask } });
  return { graph: builder.graph, builder, result };
}

/** Throws a clear error when a weight is missing or has the wrong shape for `config`. */
export function checkBertWeights(config: BertConfig, weights: ReadonlyMap<string, HostTensor>): void {
  const withPooler = weights.has('pooler.dense.weight');
  for (const name of bertParamNames(config, withPooler)) {
    const t = weights.get(name);
    if (t === undefined) throw new BertftError(`the model has no weight ${name}`);
    const want = bertParamShape(config, name);
    if (t.shape.join(',') !== want.join(',')) {
      throw new BertftError(`weight ${name} has shape [${t.shape.join(', ')}], the config implies [${want.join(', ')}]`);
    }
  }
}

function checkPooling(weights: ReadonlyMap<string, HostTensor>, pooling: Pooling): void {
  if (pooling === 'pooler' && !weights.has('pooler.dense.weight')) {
    throw new UsageError('this model has no pooler weights (pooler.dense.*); use pooling cls or mean');
  }
}

export interface TraceEncoderOptions {
  /** Sentence-vector pooling, used when `output` is `pooled` (default `mean`). */
  pooling?: Pooling;
  /** `pooled` → output `pooled` [batch_size, H]; `last_hidden_state` → [batch_size, sequence_length, H]. */
  output: 'pooled' | 'last_hidden_state';
  ops?: OnnxOpsOptions;
}

/** The encoder as an inference graph with weights stored in it. */
export function traceEncoder(config: BertConfig, weights: ReadonlyMap<string, HostTensor>, options: TraceEncoderOptions): Graph {
  checkBertWeights(config, weights);
  const pooling = options.pooling ?? 'mean';
  if (options.output === 'pooled') checkPooling(weights, pooling);
  const { builder, result } = traceWith({ weights, ops: options.ops, graphName: 'bertft_encoder' }, ({ ops, params, inputs }) => {
    return options.output === 'pooled' ? pooledFeatures(ops, config, params, inputs, pooling) : bertForward(ops, config, params, inputs).sequenceOutput;
  });
  if (options.output === 'pooled') builder.addOutput(result, 'pooled', [BATCH_DIM, config.hiddenSize]);
  else builder.addOutput(result, 'last_hidden_state', [BATCH_DIM, SEQUENCE_DIM, config.hiddenSize]);
  return pruneGraph(builder.graph);
}

/**
 * `<Family>ForSequenceClassification` as an inference graph: output `logits` [batch_size, C].
 * `classifier` holds the family's head (heads/classification.ts `classifierParamNames`).
 */
export function traceClassifier(
  config: BertConfig,
  weights: ReadonlyMap<string, HostTensor>,
  classifier: ReadonlyMap<string, HostTensor>,
  pooling: Pooling,
  ops?: OnnxOpsOptions,
): Graph {
  checkBertWeights(config, weights);
  checkPooling(weights, pooling);
  const width = checkHead(config, classifier, familyOf(config).head);
  const all = new Map([...weights, ...classifier]);
  const { builder, result } = traceWith({ weights: all, ops, graphName: 'bertft_classifier' }, ({ ops: o, params, inputs }) =>
    sequenceClassifierLogits(o, config, params, inputs, pooling),
  );
  builder.addOutput(result, 'logits', [BATCH_DIM, width]);
  return pruneGraph(builder.graph);
}

/**
 * `<Family>ForTokenClassification` as an inference graph: output `logits` [batch_size,
 * sequence_length, C], every token's (heads/token-classification.ts).
 */
export function traceTokenClassifier(
  config: BertConfig,
  weights: ReadonlyMap<string, HostTensor>,
  head: ReadonlyMap<string, HostTensor>,
  ops?: OnnxOpsOptions,
): Graph {
  checkBertWeights(config, weights);
  const width = checkHead(config, head, tokenHeadKind(config));
  const all = new Map([...weights, ...head]);
  const { builder, result } = traceWith({ weights: all, ops, graphName: 'bertft_token_classifier' }, ({ ops: o, params, inputs }) =>
    tokenClassifierLogits(o, config, params, bertForward(o, config, params, inputs).sequenceOutput),
  );
  builder.addOutput(result, 'logits', [BATCH_DIM, SEQUENCE_DIM, width]);
  return pruneGraph(builder.graph);
}

/** Checks a head's tensors against the layout `kind` and the hidden size; returns its number of outputs C. */
function checkHead(config: BertConfig, head: ReadonlyMap<string, HostTensor>, kind: HeadKind): number {
  const names = classifierParamNames(config, kind);
  const width = classifierWidth(head);
  if (names.some((n) => !head.has(n)) || width === undefined) throw new BertftError(`the classification head needs ${names.join(', ')}`);
  for (const n of names) {
    const got = head.get(n)!.shape;
    const want = classifierParamShape(config, width, n, kind);
    if (got.join(',') !== want.join(','))
      throw new BertftError(`classifier weight ${n} [${got.join(', ')}] does not fit hidden size ${config.hiddenSize} (want [${want.join(', ')}])`);
  }
  return width;
}

/** The stored decoder of a masked-LM head (`cls.predictions.decoder.weight`). */
const DECODER = 'cls.predictions.decoder.weight';

export interface TraceMaskedLmOptions {
  /**
   * `sequence` → output `logits` [batch_size, sequence_length, V], what `BertForMaskedLM` returns
   * and transformers.js' fill-mask pipeline reads; `positions` → an extra int64 input
   * `masked_positions` [num_masked] of flat row indices b·S + s, and `logits` [num_masked, V] at
   * those rows only (a fraction of the work and memory with a 30k vocabulary).
   */
  output: 'sequence' | 'positions';
  ops?: OnnxOpsOptions;
}

/**
 * BertForMaskedLM as an inference graph, over the head of heads/masked-lm.ts. `head` holds the
 * `cls.predictions.*` tensors (as `loadBertWeights` returns them); its decoder is tied to the word
 * embeddings when `cls.predictions.decoder.weight` is absent or is the embedding tensor itself,
 * and stored separately otherwise.
 */
export function traceMaskedLm(
  config: BertConfig,
  weights: ReadonlyMap<string, HostTensor>,
  head: ReadonlyMap<string, HostTensor>,
  options: TraceMaskedLmOptions,
): Graph {
  checkBertWeights(config, weights);
  const E = embeddingWidth(config);
  const V = config.vocabSize;
  const all = new Map(weights);
  for (const name of maskedLmParamNames(config)) {
    const t = head.get(name);
    if (t === undefined) throw new BertftError(`the masked-LM head has no ${name}`);
    const want = maskedLmParamShape(config, name);
    if (t.shape.join(',') !== want.join(','))
      throw new BertftError(`masked-LM weight ${name} has shape [${t.shape.join(', ')}], the config implies [${want.join(', ')}]`);
    all.set(name, t);
  }
  const decoder = head.get(DECODER);
  const tied = tiedDecoder(config);
  const untied = decoder !== undefined && decoder !== weights.get(tied);
  if (untied) {
    if (decoder.shape.join(',') !== `${V},${E}`)
      throw new BertftError(`masked-LM weight ${DECODER} has shape [${decoder.shape.join(', ')}], the config implies [${V}, ${E}]`);
    all.set(DECODER, decoder);
  }
  const { builder, result } = traceWith({ weights: all, ops: options.ops, graphName: 'bertft_masked_lm' }, ({ builder: b, ops, params, inputs }) => {
    // The head reads its decoder under the tied name; an untied one is mapped onto it.
    const headParams = untied ? new Map([...params, [tied, DECODER]]) : params;
    if (options.output === 'sequence') return maskedLmSequenceLogits(ops, config, headParams, bertForward(ops, config, params, inputs).sequenceOutput);
    return maskedLmLogits(ops, config, params, inputs, b.addInput(MASKED_POSITIONS, ElemType.Int64, [MASKED_DIM]), headParams);
  });
  builder.addOutput(result, 'logits', options.output === 'sequence' ? [BATCH_DIM, SEQUENCE_DIM, V] : [MASKED_DIM, V]);
  return pruneGraph(builder.graph);
}
