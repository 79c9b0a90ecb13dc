import type { TensorOps } from '../ops.js';
import { activate, attentionBias, attentionContext, MASKED_SCORE, param, type BertInputs, type BertOutputs, type ParamMap } from './bert.js';
import type { BertConfig, ModernBertSettings } from './config.js';

/**
 * ModernBERT (`ModernBertModel`) over {@link TensorOps}: pre-LN layers without biases (layer 0's
 * `attn_norm` is the identity), a fused `Wqkv`, rotary position embeddings with their own θ on
 * full and on sliding-window layers, a window of ±⌊local_attention/2⌋ on the sliding ones, a GeGLU
 * feed-forward (`Wi` → [a, g] → gelu(a)·g → `Wo`) and `final_norm`. Parameter names are the
 * checkpoint's without the `model.` prefix. The RoPE tables, the half-rotation and the window are
 * constants, so the layer is made of ops every engine already differentiates.
 */

function settings(cfg: BertConfig): ModernBertSettings {
  if (cfg.modernBert === undefined) throw new Error('ModernBERT config without its settings (config.modernBert)');
  return cfg.modernBert;
}

const norm = <T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, x: T, name: string) =>
  ops.layerNorm(x, param(params, `${name}.weight`), params.get(`${name}.bias`), cfg.layerNormEps);

const dense = <T>(ops: TensorOps<T>, params: ParamMap<T>, x: T, name: string) => ops.linear(x, param(params, `${name}.weight`), params.get(`${name}.bias`));

/** RoPE's [cos, sin] tables [P, d] (float32 as transformers computes them) and the half-rotation M [d, d]: x·Mᵀ = [−x₂, x₁]. */
function ropeConstants(theta: number, d: number, positions: number): [Float32Array, Float32Array, Float32Array] {
  const half = d / 2;
  const invFreq = Array.from({ length: half }, (_, j) => Math.fround(1 / Math.fround(theta ** Math.fround((2 * j) / d))));
  const cos = new Float32Array(positions * d);
  const sin = new Float32Array(positions * d);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < d; i++) {
      const angle = Math.fround(p * invFreq[i % half]!);
      cos[p * d + i] = Math.cos(angle);
      sin[p * d + i] = Math.sin(angle);
    }
  }
  const rotate = new Float32Array(d * d);
  for (let i = 0; i < half; i++) {
    rotate[i * d + i + half] = -1;
    rotate[(i + half) * d + i] = 1;
  }
  return [cos, sin, rotate];
}

/** x [B, heads, S, d] rotated by position: x·cos + rotate_half(x)·sin. */
type Rope<T> = (x: T) => T;

function rope<T>(ops: TensorOps<T>, cfg: BertConfig, theta: number, ids: T): Rope<T> {
  const d = cfg.hiddenSize / cfg.numAttentionHeads;
  const [cosTable, sinTable, rotateTable] = ropeConstants(theta, d, cfg.maxPositionEmbeddings);
  const cos = ops.leadingRows(ops.constant(cosTable, [cfg.maxPositionEmbeddings, d]), ids);
  const sin = ops.leadingRows(ops.constant(sinTable, [cfg.maxPositionEmbeddings, d]), ids);
  const rotate = ops.constant(rotateTable, [d, d]);
  return (x) => ops.add(ops.mul(x, cos), ops.mul(ops.linear(x, rotate), sin));
}

/** [S, S] additive bias: 0 where |i − j| ≤ reach, MASKED_SCORE elsewhere (from the positions, as exact float arithmetic). */
function windowBias<T>(ops: TensorOps<T>, cfg: BertConfig, ids: T, reach: number): T {
  const P = cfg.maxPositionEmbeddings;
  const rows = ops.leadingRows(
    ops.constant(
      Float32Array.from({ length: P }, (_, p) => p),
      [P, 1],
    ),
    ids,
  );
  const d = ops.sub(rows, ops.reshape(rows, [1, -1]));
  const distance = ops.add(ops.relu(d), ops.relu(ops.affine(d, -1)));
  const beyond = ops.relu(ops.affine(distance, 1, -reach)); // 0 inside, ≥ 1 outside
  const outside = ops.affine(ops.relu(ops.affine(beyond, -1, 1)), -1, 1); // min(beyond, 1)
  return ops.affine(outside, MASKED_SCORE);
}

function attention<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, x: T, bias: T, rotate: Rope<T>, prefix: string): T {
  const heads = cfg.numAttentionHeads;
  const d = cfg.hiddenSize / heads;
  // The last axis is [3, heads, d]: q, k, v are consecutive blocks of H, each [B, S, H] → [B, S, heads, d] → [B, heads, S, d]
  const [q, k, v] = ops
    .splitLast(dense(ops, params, x, `${prefix}.Wqkv`), [cfg.hiddenSize, cfg.hiddenSize, cfg.hiddenSize])
    .map((t) => ops.transpose(ops.reshape(t, [0, 0, heads, d]), [0, 2, 1, 3]));
  const context = attentionContext(ops, cfg, rotate(q!), rotate(k!), v!, bias);
  return ops.dropout(dense(ops, params, context, `${prefix}.Wo`), cfg.attentionProbsDropoutProb);
}

function mlp<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, x: T, prefix: string): T {
  // The last axis is [input | gate] (torch's `chunk(2, dim=-1)`).
  const [input, gate] = ops.splitLast(dense(ops, params, x, `${prefix}.Wi`), [cfg.intermediateSize, cfg.intermediateSize]);
  return dense(ops, params, ops.dropout(ops.mul(activate(ops, cfg.hiddenAct, input!), gate!), cfg.hiddenDropoutProb), `${prefix}.Wo`);
}

export function modernBertForward<T>(ops: TensorOps<T>, cfg: BertConfig, params: ParamMap<T>, inputs: BertInputs<T>): BertOutputs<T> {
  const mb = settings(cfg);
  const padding = attentionBias(ops, inputs.attentionMask);
  const biases = { full: padding, sliding: ops.add(padding, windowBias(ops, cfg, inputs.inputIds, Math.floor(mb.localAttention / 2))) };
  const ropes = { full: rope(ops, cfg, mb.globalRopeTheta, inputs.inputIds), sliding: rope(ops, cfg, mb.localRopeTheta, inputs.inputIds) };
  const embedded = ops.embedding(param(params, 'embeddings.tok_embeddings.weight'), inputs.inputIds);
  let hidden = ops.dropout(norm(ops, cfg, params, embedded, 'embeddings.norm'), mb.embeddingDropout);
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const p = `layers.${i}`;
    const type = mb.layerTypes[i]!;
    const normed = i === 0 ? hidden : norm(ops, cfg, params, hidden, `${p}.attn_norm`);
    hidden = ops.add(hidden, attention(ops, cfg, params, normed, biases[type], ropes[type], `${p}.attn`));
    hidden = ops.add(hidden, mlp(ops, cfg, params, norm(ops, cfg, params, hidden, `${p}.mlp_norm`), `${p}.mlp`));
  }
  return { sequenceOutput: norm(ops, cfg, params, hidden, 'final_norm') };
}

export function modernBertParamNames(cfg: BertConfig): string[] {
  const names = ['embeddings.tok_embeddings.weight', 'embeddings.norm.weight'];
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const p = `layers.${i}`;
    if (i > 0) names.push(`${p}.attn_norm.weight`);
    names.push(`${p}.attn.Wqkv.weight`, `${p}.attn.Wo.weight`, `${p}.mlp_norm.weight`, `${p}.mlp.Wi.weight`, `${p}.mlp.Wo.weight`);
  }
  names.push('final_norm.weight');
  return names;
}

export function modernBertParamShape(cfg: BertConfig, name: string): number[] {
  const H = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  if (name === 'embeddings.tok_embeddings.weight') return [cfg.vocabSize, H];
  if (name.endsWith('.Wqkv.weight')) return [3 * H, H];
  if (name.endsWith('.mlp.Wi.weight')) return [2 * I, H];
  if (name.endsWith('.mlp.Wo.weight')) return [H, I];
  if (name.endsWith('.attn.Wo.weight')) return [H, H];
  return [H];
}
