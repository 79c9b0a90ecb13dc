import type { HostTensor } from '../host-tensor.js';
import type { TensorOps } from '../ops.js';
import {
  attend,
  attentionBias,
  feedForward,
  layerNormNamed,
  linearNamed,
  param,
  splitHeads,
  type BertInputs,
  type BertOutputs,
  type ParamMap,
} from './bert.js';
import type { BertConfig } from './config.js';

/**
 * DeBERTa-v2/v3 (`DebertaV2Model`, family `deberta-v2`) over {@link TensorOps}: BERT's post-LN layers
 * and feed-forward, with disentangled attention in place of BERT's: scores = (q·kᵀ + c2p + p2c) / √(3d),
 * where c2p[i, j] = q_i · key(rel)[δ(i, j)] and p2c[i, j] = k_j · query(rel)[δ(j, i)], rel =
 * LayerNorm(encoder.rel_embeddings) (`norm_rel_ebd`), δ(i, j) = clamp(bucket(i − j) + P, 0, 2P − 1) and
 * the keys shared (`share_att_key`). The lookup by δ is a product with a constant one-hot selection
 * ({@link TensorOps.relativeSelection}), so gradients flow through matmul only (no gather, no scatter).
 * The pooler is `ContextPooler`: dense → GELU on the first token.
 */

/** Parameters of the embeddings and the relative-position tables: no absolute positions, no token types. */
export const DEBERTA_EMBEDDINGS = [
  'embeddings.word_embeddings.weight',
  'embeddings.LayerNorm.weight',
  'embeddings.LayerNorm.bias',
  'encoder.rel_embeddings.weight',
  'encoder.LayerNorm.weight',
  'encoder.LayerNorm.bias',
] as const;

function relative(cfg: BertConfig): NonNullable<BertConfig['relativeAttention']> {
  if (cfg.relativeAttention === undefined) throw new Error('a deberta-v2 config needs its relative attention settings');
  return cfg.relativeAttention;
}

/** P: half the rows of `encoder.rel_embeddings` (the buckets, or the largest distance without them). */
export function relativeSpan(cfg: BertConfig): number {
  const { positionBuckets, maxRelativePositions } = relative(cfg);
  return positionBuckets > 0 ? positionBuckets : maxRelativePositions;
}

/** `make_log_bucket_position`: distances up to half the buckets as they are, longer ones on a log scale (in float32, as torch). */
export function logBucket(distance: number, buckets: number, maxPosition: number): number {
  const mid = Math.floor(buckets / 2);
  const abs = Math.abs(distance);
  if (buckets <= 0 || abs <= mid) return distance;
  const f = Math.fround;
  const scaled = f(f(f(Math.log(f(abs / mid))) / f(Math.log(f((maxPosition - 1) / mid)))) * (mid - 1));
  return Math.sign(distance) * (Math.ceil(scaled) + mid);
}

/** The one-hot table [2M − 1, 2P] of δ over the distances −(M − 1)..M − 1, M = max_position_embeddings. */
export function relativeTable(cfg: BertConfig): HostTensor {
  const { positionBuckets, maxRelativePositions } = relative(cfg);
  const M = cfg.maxPositionEmbeddings;
  const P = relativeSpan(cfg);
  const data = new Float32Array((2 * M - 1) * 2 * P);
  for (let r = -(M - 1); r <= M - 1; r++) {
    const delta = Math.min(Math.max(logBucket(r, positionBuckets, maxRelativePositions) + P, 0), 2 * P - 1);
    data[(r + M - 1) * 2 * P + delta] = 1;
  }
  return { shape: [2 * M - 1, 2 * P], data };
}

/** The selection [S, 1, 2P, S] by query row (c2p) and the same read by key row (p2c). */
export interface Selections<T> {
  byQuery: T;
  byKey: T;
}

/** Both selections for the run-time length of `ids`, built once per forward pass and read by every layer. */
export function selections<T>(ops: TensorOps<T>, cfg: BertConfig, ids: T): Selections<T> {
  const byQuery = ops.reshape(ops.relativeSelection(ids, relativeTable(cfg)), [0, 1, 2 * relativeSpan(cfg), -1]);
  return { byQuery, byKey: ops.transpose(byQuery, [3, 1, 2, 0]) };
}

/** Content→position plus position→content scores [B, heads, S, S] (unscaled). */
export function relativeScores<T>(ops: TensorOps<T>, q: T, k: T, posQuery: T, posKey: T, selection: Selections<T>): T {
  // [B, h, S, 2P] → [S, B, h, 2P] · [S, 1, 2P, S]: row i of the queries picks, for each key j, the bucket of i − j.
  const pick = (x: T, pos: T, sel: T) => ops.matmul(ops.transpose(ops.matmul(x, pos, true), [2, 0, 1, 3]), sel);
  const c2p = ops.transpose(pick(q, posKey, selection.byQuery), [1, 2, 0, 3]);
  // From the key's side: row j of the keys picks, for each query i, the bucket of i − j; then back to [query, key].
  const p2c = ops.transpose(pick(k, posQuery, selection.byKey), [1, 2, 3, 0]);
  return ops.add(c2p, p2c);
}

function disentangledAttention<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, x: T, rel: T, selection: Selections<T>, bias: T, prefix: string): T {
  const heads = cfg.numAttentionHeads;
  const headDim = cfg.hiddenSize / heads;
  const project = (input: T, name: string) => splitHeads(ops, linearNamed(ops, params, input, `${prefix}.self.${name}`), heads, headDim);
  const q = project(x, 'query');
  const k = project(x, 'key');
  const v = project(x, 'value');
  const positions = ops.reshape(ops.dropout(rel, cfg.hiddenDropoutProb), [1, -1, cfg.hiddenSize]);
  const both = ops.add(ops.matmul(q, k, true), relativeScores(ops, q, k, project(positions, 'query'), project(positions, 'key'), selection));
  return attend(ops, cfg, params, ops.add(ops.affine(both, 1 / Math.sqrt(headDim * 3)), bias), v, x, prefix);
}

/** Runs the DeBERTa encoder (and the ContextPooler when the parameters include it). */
export function debertaForward<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, inputs: BertInputs<T>): BertOutputs<T> {
  const bias = attentionBias(ops, inputs.attentionMask);
  const words = layerNormNamed(
    ops,
    params,
    ops.embedding(param(params, 'embeddings.word_embeddings.weight'), inputs.inputIds),
    'embeddings.LayerNorm',
    cfg.layerNormEps,
  );
  let hidden = ops.dropout(ops.mul(words, ops.reshape(inputs.attentionMask, [0, 0, 1])), cfg.hiddenDropoutProb);
  const rel = layerNormNamed(ops, params, param(params, 'encoder.rel_embeddings.weight'), 'encoder.LayerNorm', cfg.layerNormEps);
  const selection = selections(ops, cfg, inputs.inputIds);
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    hidden = disentangledAttention(ops, cfg, params, hidden, rel, selection, bias, `encoder.layer.${i}.attention`);
    hidden = feedForward(ops, cfg, params, hidden, `encoder.layer.${i}`);
  }
  const out: BertOutputs<T> = { sequenceOutput: hidden };
  if (params.has('pooler.dense.weight')) out.pooledOutput = ops.gelu(linearNamed(ops, params, ops.selectAlongAxis1(hidden, 0), 'pooler.dense'));
  return out;
}
