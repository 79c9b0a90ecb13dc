import { BertftError } from '../errors.js';
import type { ModernBertSettings, RawConfig } from '../models/bert/config.js';

/**
 * ModernBERT's config.json beyond BERT's fields, in either spelling: transformers 5's `layer_types`
 * and `rope_parameters`, or 4.x's `global_attn_every_n_layers`, `global_rope_theta` and
 * `local_rope_theta` (every published checkpoint). Biases (attention, MLP, norms, head dense) are
 * off in every published ModernBERT; a config that turns one on is refused in one line.
 */
export function modernBertSettings(raw: RawConfig, file: string, layers: number): ModernBertSettings {
  const fail = (key: string, want: string): never => {
    throw new BertftError(`${file}: field "${key}" must be ${want}, got ${JSON.stringify(raw[key])}`);
  };
  const num = (key: string, fallback: number, ok: (v: number) => boolean, want: string): number => {
    const v = raw[key] ?? fallback;
    return typeof v === 'number' && Number.isFinite(v) && ok(v) ? v : fail(key, want);
  };
  for (const key of ['attention_bias', 'mlp_bias', 'norm_bias', 'classifier_bias']) {
    if (raw[key] === true) throw new BertftError(`${file}: field "${key}" is true; bertft runs ModernBERT without biases (as published) only`);
  }
  if (raw.rope_scaling !== undefined && raw.rope_scaling !== null) fail('rope_scaling', 'null (bertft implements default RoPE only)');
  const rope = (raw.rope_parameters ?? {}) as Record<string, { rope_theta?: unknown; rope_type?: unknown } | undefined>;
  const theta = (type: string, legacy: string, fallback: number): number => {
    const p = rope[type];
    if (p?.rope_type !== undefined && p.rope_type !== 'default') fail('rope_parameters', `default RoPE (rope_type "default") for ${type}`);
    const v = p?.rope_theta ?? raw[legacy] ?? fallback;
    return typeof v === 'number' && v > 0 ? v : fail(p?.rope_theta !== undefined ? 'rope_parameters' : legacy, 'a positive number');
  };
  const every = num('global_attn_every_n_layers', 3, (v) => Number.isSafeInteger(v) && v >= 1, 'a whole number ≥ 1');
  const types = raw.layer_types ?? Array.from({ length: layers }, (_, i) => (i % every === 0 ? 'full_attention' : 'sliding_attention'));
  if (!Array.isArray(types) || types.length !== layers || types.some((t) => t !== 'full_attention' && t !== 'sliding_attention')) {
    fail('layer_types', `${layers} entries of "full_attention" or "sliding_attention"`);
  }
  const act = raw.classifier_activation ?? 'gelu';
  if (act !== 'gelu' && act !== 'gelu_new' && act !== 'relu') fail('classifier_activation', '"gelu", "gelu_new" or "relu"');
  return {
    layerTypes: (types as string[]).map((t) => (t === 'full_attention' ? 'full' : 'sliding')),
    localAttention: num('local_attention', 128, (v) => Number.isSafeInteger(v) && v >= 2, 'a whole number ≥ 2'),
    globalRopeTheta: theta('full_attention', 'global_rope_theta', 160_000),
    localRopeTheta: theta('sliding_attention', 'local_rope_theta', 10_000),
    classifierActivation: act as ModernBertSettings['classifierActivation'],
    embeddingDropout: num('embedding_dropout', 0, (v) => v >= 0 && v < 1, 'a probability in [0, 1)'),
  };
}

/** Writes the settings back in the keys `base` uses (5's where it has them, else 4.x's). */
export function rawFromModernBertSettings(mb: ModernBertSettings, base: RawConfig): RawConfig {
  const out: RawConfig = {
    local_attention: mb.localAttention,
    classifier_activation: mb.classifierActivation,
    embedding_dropout: mb.embeddingDropout,
  };
  const types = mb.layerTypes.map((t) => (t === 'full' ? 'full_attention' : 'sliding_attention'));
  if ('layer_types' in base || 'rope_parameters' in base) {
    out.layer_types = types;
    const rope = (base.rope_parameters ?? {}) as Record<string, object | undefined>;
    out.rope_parameters = {
      ...rope,
      full_attention: { ...rope.full_attention, rope_theta: mb.globalRopeTheta, rope_type: 'default' },
      sliding_attention: { ...rope.sliding_attention, rope_theta: mb.localRopeTheta, rope_type: 'default' },
    };
  }
  const every = types.findIndex((t, i) => i > 0 && t === 'full_attention');
  const n = every > 0 ? every : types.length;
  if (!('layer_types' in base) && types.some((t, i) => (i % n === 0) !== (t === 'full_attention'))) out.layer_types = types;
  if (!('rope_parameters' in base)) {
    out.global_rope_theta = mb.globalRopeTheta;
    out.local_rope_theta = mb.localRopeTheta;
  }
  out.global_attn_every_n_layers = n;
  return out;
}
