import type { TensorOps } from '../ops.js';
import type { BertConfig } from './config.js';
import { DEBERTA_EMBEDDINGS, debertaForward, relativeSpan } from './deberta.js';
import { embeddingWidth, familyOf, hasEmbeddingProjection, layerPrefix, positionOffset, storedLayers } from './family.js';
import { modernBertForward, modernBertParamNames, modernBertParamShape } from './modernbert.js';

/**
 * BERT (post-LN, as in `BertModel`) written once over {@link TensorOps}, so every engine runs the
 * same definition; the other encoders of the family (family.ts) are this definition with their
 * spec's differences. Parameter names are the Hugging Face BERT ones without the `bert.` prefix.
 */

/** Named parameters, e.g. `encoder.layer.0.attention.self.query.weight`. */
export type ParamMap<T> = ReadonlyMap<string, T>;

export interface BertInputs<T> {
  /** int32 [B, S] */
  inputIds: T;
  /** int32 [B, S] (read only by families with token types) */
  tokenTypeIds: T;
  /** float32 [B, S]: 1 for real tokens, 0 for padding. */
  attentionMask: T;
}

export interface BertOutputs<T> {
  /** [B, S, H] last hidden states; [B, 1, H] (the first token's) with `firstTokenOnly`; [M, H] with `rows`. */
  sequenceOutput: T;
  /** [B, H] tanh(dense(h[:, 0])) — undefined when the checkpoint has no pooler. */
  pooledOutput?: T;
}

/** How a sentence vector is made from the encoder's outputs. */
export type Pooling = 'pooler' | 'cls' | 'mean';
export const POOLINGS: readonly Pooling[] = ['pooler', 'cls', 'mean'];

/** Added to attention scores of padding keys; exp() of it underflows to exactly 0 in float32. */
export const MASKED_SCORE = -10000;

export function param<T>(params: ParamMap<T>, name: string): T {
  const p = params.get(name);
  if (p === undefined) throw new Error(`BERT parameter missing: ${name}`);
  return p;
}

export function linearNamed<T>(ops: TensorOps<T>, params: ParamMap<T>, x: T, prefix: string): T {
  return ops.linear(x, param(params, `${prefix}.weight`), param(params, `${prefix}.bias`));
}

export function layerNormNamed<T>(ops: TensorOps<T>, params: ParamMap<T>, x: T, prefix: string, eps: number): T {
  return ops.layerNorm(x, param(params, `${prefix}.weight`), param(params, `${prefix}.bias`), eps);
}

function embeddings<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, inputs: BertInputs<T>): T {
  let summed = ops.embedding(param(params, 'embeddings.word_embeddings.weight'), inputs.inputIds);
  if (familyOf(cfg).tokenTypes) summed = ops.add(summed, ops.embedding(param(params, 'embeddings.token_type_embeddings.weight'), inputs.tokenTypeIds));
  // The sequence length is read off the float mask, not the int64 ids: onnxruntime's WebGPU provider has Shape for float only.
  const positions = ops.leadingRows(param(params, 'embeddings.position_embeddings.weight'), inputs.attentionMask, positionOffset(cfg));
  const normed = layerNormNamed(ops, params, ops.add(summed, positions), 'embeddings.LayerNorm', cfg.layerNormEps);
  const out = ops.dropout(normed, cfg.hiddenDropoutProb);
  return hasEmbeddingProjection(cfg) ? linearNamed(ops, params, out, 'embeddings_project') : out;
}

/** The activation named `act` (BERT's `hidden_act`). */
export function activate<T>(ops: TensorOps<T>, act: BertConfig['hiddenAct'], x: T): T {
  return act === 'relu' ? ops.relu(x) : act === 'gelu_new' ? ops.geluTanh(x) : ops.gelu(x);
}

/** The feed-forward activation of `hidden_act`. */
function activation<T>(ops: TensorOps<T>, cfg: BertConfig, x: T): T {
  return activate(ops, cfg.hiddenAct, x);
}

/** [B, S] 0/1 mask → [B, 1, 1, S] additive bias, broadcast over heads and query positions. */
export function attentionBias<T>(ops: TensorOps<T>, mask: T): T {
  return ops.affine(ops.reshape(mask, [0, 1, 1, -1]), -MASKED_SCORE, MASKED_SCORE);
}

/** [B, S, H] → [B, heads, S, headDim] */
export function splitHeads<T>(ops: TensorOps<T>, x: T, heads: number, headDim: number): T {
  return ops.transpose(ops.reshape(x, [0, 0, heads, headDim]), [0, 2, 1, 3]);
}

/** softmax(q·kᵀ/√d + bias) · v on [B, heads, S, d] → the heads merged again, [B, S, H]. */
export function attentionContext<T>(ops: TensorOps<T>, cfg: BertConfig, q: T, k: T, v: T, bias: T): T {
  const headDim = cfg.hiddenSize / cfg.numAttentionHeads;
  return attentionOver(ops, cfg, ops.add(ops.affine(ops.matmul(q, k, true), 1 / Math.sqrt(headDim)), bias), v);
}

/** softmax(scores) · v on [B, heads, S, d] → the heads merged again, [B, S, H]. */
function attentionOver<T>(ops: TensorOps<T>, cfg: BertConfig, scores: T, v: T): T {
  const probs = ops.dropout(ops.softmax(scores), cfg.attentionProbsDropoutProb);
  return ops.reshape(ops.transpose(ops.matmul(probs, v), [0, 2, 1, 3]), [0, 0, cfg.hiddenSize]);
}

/** Rows [M] (flat indices b·S + s) of [B, S, width] values, as [M, width]. */
export function gatherRows<T>(ops: TensorOps<T>, x: T, rows: T, width: number): T {
  return ops.embedding(ops.reshape(x, [-1, width]), rows);
}

/**
 * Self-attention of the positions `queries` (by default every position of `x`) over every position
 * of `x`; with `rows`, the attention output is made for those rows of the queries only ([M, H]).
 */
function selfAttention<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, x: T, bias: T, prefix: string, queries: T = x, rows?: T): T {
  const heads = cfg.numAttentionHeads;
  const headDim = cfg.hiddenSize / heads;
  const q = splitHeads(ops, linearNamed(ops, params, queries, `${prefix}.self.query`), heads, headDim);
  const k = splitHeads(ops, linearNamed(ops, params, x, `${prefix}.self.key`), heads, headDim);
  const v = splitHeads(ops, linearNamed(ops, params, x, `${prefix}.self.value`), heads, headDim);
  const context = attentionContext(ops, cfg, q, k, v, bias);
  if (rows === undefined) return attentionOutput(ops, cfg, params, context, queries, prefix);
  const pick = (t: T) => gatherRows(ops, t, rows, cfg.hiddenSize);
  return attentionOutput(ops, cfg, params, pick(context), pick(queries), prefix);
}

/** Softmax of scores the caller made (DeBERTa's disentangled ones) over the values, then the attention output. */
export function attend<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, scores: T, v: T, x: T, prefix: string): T {
  return attentionOutput(ops, cfg, params, attentionOver(ops, cfg, scores, v), x, prefix);
}

/** The attention output: dense → dropout → residual → LayerNorm. */
function attentionOutput<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, context: T, x: T, prefix: string): T {
  const dense = linearNamed(ops, params, context, `${prefix}.output.dense`);
  const projected = familyOf(cfg).attentionOutputDropout ? ops.dropout(dense, cfg.hiddenDropoutProb) : dense;
  return layerNormNamed(ops, params, ops.add(projected, x), `${prefix}.output.LayerNorm`, cfg.layerNormEps);
}

export function feedForward<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, x: T, prefix: string): T {
  const inner = activation(ops, cfg, linearNamed(ops, params, x, `${prefix}.intermediate.dense`));
  const projected = linearNamed(ops, params, inner, `${prefix}.output.dense`);
  const out = familyOf(cfg).ffnDropout ? ops.dropout(projected, cfg.hiddenDropoutProb) : projected;
  return layerNormNamed(ops, params, ops.add(out, x), `${prefix}.output.LayerNorm`, cfg.layerNormEps);
}

export interface BertForwardOptions<T> {
  /**
   * Only the first token's last hidden state will be read (`cls` and `pooler` pooling): the last
   * layer then projects queries, attends and runs its feed-forward for that token alone, since no
   * other position of its output reaches the head. Its keys and values still cover every token, so
   * the first token's state is the same computation as in the full encoder. A DistilBERT-base step
   * at 8 × 128 spends about a sixth of its time in the last layer (docs/benchmarks.md).
   * DeBERTa and ModernBERT run their full encoders either way.
   */
  firstTokenOnly?: boolean;
  /**
   * Only these rows of the last hidden state will be read: an integer [M] of flat indices b·S + s
   * (the masked positions of masked LM). The last layer attends from every position as usual, then
   * runs its attention output and feed-forward for these rows alone; `sequenceOutput` is [M, H].
   * With 15 % of the tokens masked that skips most of the last layer's products (docs/benchmarks.md).
   * DeBERTa and ModernBERT run their full encoders and gather the rows at the end.
   */
  rows?: T;
}

/** Runs the encoder (and the pooler when the parameters include it). A shared layer (ALBERT) is read at every depth. */
export function bertForward<T>(
  ops: TensorOps<T>,
  cfg: BertConfig,
  params: ParamMap<T>,
  inputs: BertInputs<T>,
  options: BertForwardOptions<T> = {},
): BertOutputs<T> {
  const own = familyOf(cfg).positions === 'relative' ? debertaForward : familyOf(cfg).block === 'modernbert' ? modernBertForward : undefined;
  if (own) {
    const out = own(ops, cfg, params, inputs);
    return options.rows === undefined ? out : { sequenceOutput: gatherRows(ops, out.sequenceOutput, options.rows, cfg.hiddenSize) };
  }
  const bias = attentionBias(ops, inputs.attentionMask);
  let hidden = embeddings(ops, cfg, params, inputs);
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const last = i === cfg.numHiddenLayers - 1;
    const queries = last && options.firstTokenOnly ? ops.reshape(ops.selectAlongAxis1(hidden, 0), [0, 1, -1]) : hidden;
    hidden = selfAttention(ops, cfg, params, hidden, bias, `${layerPrefix(cfg, i)}.attention`, queries, last ? options.rows : undefined);
    hidden = feedForward(ops, cfg, params, hidden, layerPrefix(cfg, i));
  }
  const out: BertOutputs<T> = { sequenceOutput: hidden };
  // The pooler reads the first token, which a `rows` run may not have kept.
  if (params.has('pooler.dense.weight') && options.rows === undefined) {
    const cls = ops.selectAlongAxis1(hidden, 0);
    out.pooledOutput = ops.tanh(linearNamed(ops, params, cls, 'pooler.dense'));
  }
  return out;
}

/** Mask-aware mean of the hidden states over real tokens: Σ h·m / Σ m. */
export function maskedMean<T>(ops: TensorOps<T>, sequence: T, mask: T): T {
  const m = ops.reshape(mask, [0, 0, 1]);
  return ops.div(ops.sum(ops.mul(sequence, m), 1), ops.sum(m, 1));
}

/** The sentence vector of a pooling choice, from an encoder run that computes only what that pooling reads. */
export function pooledFeatures<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, inputs: BertInputs<T>, pooling: Pooling): T {
  return pool(ops, bertForward(ops, cfg, params, inputs, { firstTokenOnly: pooling !== 'mean' }), inputs.attentionMask, pooling);
}

/** The sentence vector for a pooling choice. */
export function pool<T>(ops: TensorOps<T>, outputs: BertOutputs<T>, mask: T, pooling: Pooling): T {
  switch (pooling) {
    case 'cls':
      return ops.selectAlongAxis1(outputs.sequenceOutput, 0);
    case 'mean':
      return maskedMean(ops, outputs.sequenceOutput, mask);
    case 'pooler':
      if (outputs.pooledOutput === undefined) {
        throw new Error('this checkpoint has no pooler weights (pooler.dense.*); use --pooling cls or mean');
      }
      return outputs.pooledOutput;
  }
}

/** Every parameter name a BERT of this config has (the pooler optional, and only where the family has one). */
export function bertParamNames(cfg: BertConfig, withPooler = true): string[] {
  const family = familyOf(cfg);
  if (family.block === 'modernbert') return modernBertParamNames(cfg);
  const names =
    family.positions === 'relative'
      ? [...DEBERTA_EMBEDDINGS]
      : [
          'embeddings.word_embeddings.weight',
          'embeddings.position_embeddings.weight',
          ...(family.tokenTypes ? ['embeddings.token_type_embeddings.weight'] : []),
          'embeddings.LayerNorm.weight',
          'embeddings.LayerNorm.bias',
          ...(hasEmbeddingProjection(cfg) ? ['embeddings_project.weight', 'embeddings_project.bias'] : []),
        ];
  for (let i = 0; i < storedLayers(cfg); i++) {
    const p = `encoder.layer.${i}`;
    for (const lin of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense', 'intermediate.dense', 'output.dense']) {
      names.push(`${p}.${lin}.weight`, `${p}.${lin}.bias`);
    }
    for (const ln of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      names.push(`${p}.${ln}.weight`, `${p}.${ln}.bias`);
    }
  }
  if (withPooler && family.pooler) names.push('pooler.dense.weight', 'pooler.dense.bias');
  return names;
}

/** The shape each parameter must have under `cfg`. */
export function bertParamShape(cfg: BertConfig, name: string): number[] {
  if (familyOf(cfg).block === 'modernbert') return modernBertParamShape(cfg, name);
  const H = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const E = embeddingWidth(cfg);
  if (name === 'embeddings.word_embeddings.weight') return [cfg.vocabSize, E];
  if (name === 'encoder.rel_embeddings.weight') return [2 * relativeSpan(cfg), H];
  if (name === 'embeddings.position_embeddings.weight') return [cfg.maxPositionEmbeddings, E];
  if (name === 'embeddings.token_type_embeddings.weight') return [cfg.typeVocabSize, E];
  if (name.startsWith('embeddings.LayerNorm.')) return [E];
  if (name === 'embeddings_project.weight') return [H, E];
  if (name.endsWith('intermediate.dense.weight')) return [I, H];
  if (name.endsWith('intermediate.dense.bias')) return [I];
  if (/encoder\.layer\.\d+\.output\.dense\.weight$/.test(name)) return [H, I];
  if (name.endsWith('.weight') && !name.includes('LayerNorm')) return [H, H];
  return [H];
}
