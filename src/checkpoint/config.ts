import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BertftError } from '../errors.js';
import type { BertConfig, RawConfig } from '../models/bert/config.js';
import { FAMILIES, isFamilyName, SUPPORTED_FAMILIES, type FamilySpec } from '../models/bert/family.js';
import { writeFileAtomic } from './atomic.js';
import { modernBertSettings, rawFromModernBertSettings } from './modernbert-config.js';

/**
 * Reads and checks `config.json` of a model folder.
 *
 * @returns the checked config, the file as published (unknown keys kept for a later save) and its path.
 * @throws BertftError naming config.json when it is missing, not JSON, or has a bad field.
 */
export async function readBertConfig(dir: string): Promise<{ config: BertConfig; raw: RawConfig; file: string }> {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BertftError(`${file}: not found; a model folder needs config.json (is ${dir} a Hugging Face model folder?)`);
    throw new BertftError(`${file}: cannot read (${code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BertftError(`${file}: not valid JSON (${(e as Error).message}); fix or re-download config.json`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new BertftError(`${file}: must hold a JSON object of settings`);
  return { config: bertConfigFromRaw(raw as RawConfig, file), raw: raw as RawConfig, file };
}

/** Defaults of Hugging Face's BertConfig for the optional fields. */
const DEFAULTS = {
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  initializer_range: 0.02,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
} as const;

/** The family a config.json names, or a one-line error for one bertft does not run. */
function familyOfRaw(raw: RawConfig, file: string): FamilySpec {
  const type = raw.model_type ?? 'bert';
  if (isFamilyName(type)) return FAMILIES[type];
  const supported = SUPPORTED_FAMILIES.join(', ');
  throw new BertftError(`${file}: model_type ${JSON.stringify(type)} is not supported (supported: ${supported})`);
}

/** config.json with the family's keys spelled as BERT's (DistilBERT's `dim` → `hidden_size`, …) and the family's defaults where a key is absent. */
function asBertKeys(raw: RawConfig, family: FamilySpec): RawConfig {
  const out: RawConfig = { ...raw };
  for (const [bert, own] of Object.entries(family.configKeys)) {
    delete out[bert];
    if (own in raw) out[bert] = raw[own];
  }
  for (const [key, v] of Object.entries(family.defaults)) out[key] ??= v;
  return out;
}

/** ALBERT's layer groups: bertft runs one layer shared across depth (every published ALBERT). */
function checkSharing(raw: RawConfig, file: string): void {
  for (const key of ['num_hidden_groups', 'inner_group_num']) {
    const v = raw[key] ?? 1;
    if (v !== 1) throw new BertftError(`${file}: field "${key}" is ${JSON.stringify(v)}; bertft runs ALBERT with one shared layer (1) only`);
  }
}

/** The DeBERTa-v3 settings bertft runs: each other value of these keys is refused on one line. */
const DEBERTA_V3: Readonly<Record<string, unknown>> = {
  relative_attention: true,
  share_att_key: true,
  position_biased_input: false,
  norm_rel_ebd: 'layer_norm',
  pooler_hidden_act: 'gelu',
  type_vocab_size: 0,
};

/** DeBERTa's relative attention, checked: p2c + c2p over shared keys, layer-normed relative embeddings, no absolute positions or convolution. */
function readRelativeAttention(raw: RawConfig, cfg: BertConfig, file: string): NonNullable<BertConfig['relativeAttention']> {
  const refuse = (key: string, want: string): never => {
    throw new BertftError(`${file}: field "${key}" is ${JSON.stringify(raw[key] ?? null)}; bertft runs deberta-v2 with the DeBERTa-v3 settings only (${want})`);
  };
  for (const [key, want] of Object.entries(DEBERTA_V3)) if (raw[key] !== want) refuse(key, JSON.stringify(want));
  const types = raw.pos_att_type;
  if (!Array.isArray(types) || types.length !== 2 || !types.includes('p2c') || !types.includes('c2p')) refuse('pos_att_type', '["p2c", "c2p"]');
  if (((raw.conv_kernel_size as number | undefined) ?? 0) > 0) refuse('conv_kernel_size', 'none');
  if ((raw.embedding_size ?? cfg.hiddenSize) !== cfg.hiddenSize) refuse('embedding_size', 'hidden_size');
  if ((raw.pooler_hidden_size ?? cfg.hiddenSize) !== cfg.hiddenSize) refuse('pooler_hidden_size', 'hidden_size');
  if ((raw.attention_head_size ?? cfg.hiddenSize / cfg.numAttentionHeads) !== cfg.hiddenSize / cfg.numAttentionHeads)
    refuse('attention_head_size', 'hidden_size / heads');
  const whole = (key: string, fallback: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) refuse(key, 'a whole number');
    return v as number;
  };
  const maxRelative = whole('max_relative_positions', -1);
  return { positionBuckets: whole('position_buckets', -1), maxRelativePositions: maxRelative < 1 ? cfg.maxPositionEmbeddings : maxRelative };
}

/**
 * Checks config.json's snake_case fields and converts them to a BertConfig. Required: vocab_size,
 * hidden_size, num_hidden_layers, num_attention_heads, intermediate_size (or the family's names for
 * them, family.ts); the rest default as in Hugging Face's BertConfig. `null` counts as absent
 * (transformers writes `pad_token_id: null`). BERT's config has no `family` field.
 *
 * @param file the path to name in errors.
 * @throws BertftError naming the file and the field for a missing or bad value, a model_type
 *   outside the supported families, an activation other than "gelu", "gelu_new" or "relu", or a position
 *   embedding other than "absolute".
 */
export function bertConfigFromRaw(published: RawConfig, file: string): BertConfig {
  const family = familyOfRaw(published, file);
  const raw = asBertKeys(published, family);
  const keyOf = (key: string) => family.configKeys[key] ?? key;
  const value = (key: string, fallback?: number): unknown => raw[key] ?? fallback;
  const bad = (key: string, want: string): never => {
    const v = raw[key];
    throw new BertftError(`${file}: field "${keyOf(key)}" must be ${want}${v === undefined || v === null ? ' and is missing' : `, got ${JSON.stringify(v)}`}`);
  };
  const int = (key: string, min: number, fallback?: number): number => {
    const v = value(key, fallback);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) bad(key, `a whole number ≥ ${min}`);
    return v as number;
  };
  const num = (key: keyof typeof DEFAULTS, ok: (v: number) => boolean, want: string): number => {
    const v = value(key, DEFAULTS[key]);
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) bad(key, want);
    return v as number;
  };
  const probability = (v: number) => v >= 0 && v < 1;

  const act = raw.hidden_act ?? 'gelu';
  if (act !== 'gelu' && act !== 'gelu_new' && act !== 'relu') {
    throw new BertftError(
      `${file}: field "${keyOf('hidden_act')}" is ${JSON.stringify(act)}; bertft implements the exact (erf) "gelu", the tanh "gelu_new" and "relu" only`,
    );
  }
  const positions = raw.position_embedding_type ?? 'absolute';
  if (positions !== 'absolute') {
    throw new BertftError(`${file}: field "position_embedding_type" is ${JSON.stringify(positions)}; bertft implements "absolute" position embeddings only`);
  }
  const cfg: BertConfig = {
    vocabSize: int('vocab_size', 1),
    hiddenSize: int('hidden_size', 1),
    numHiddenLayers: int('num_hidden_layers', 1),
    numAttentionHeads: int('num_attention_heads', 1),
    intermediateSize: int('intermediate_size', 1),
    hiddenAct: act,
    hiddenDropoutProb: num('hidden_dropout_prob', probability, 'a probability in [0, 1)'),
    attentionProbsDropoutProb: num('attention_probs_dropout_prob', probability, 'a probability in [0, 1)'),
    maxPositionEmbeddings: int('max_position_embeddings', 1, DEFAULTS.max_position_embeddings),
    typeVocabSize: int('type_vocab_size', family.tokenTypes ? 1 : 0, DEFAULTS.type_vocab_size),
    layerNormEps: num('layer_norm_eps', (v) => v > 0, 'a positive number'),
    padTokenId: int('pad_token_id', 0, DEFAULTS.pad_token_id),
    initializerRange: num('initializer_range', (v) => v >= 0, 'a non-negative number'),
  };
  if (cfg.hiddenSize % cfg.numAttentionHeads !== 0) {
    throw new BertftError(
      `${file}: field "${keyOf('hidden_size')}" (${cfg.hiddenSize}) must be divisible by "${keyOf('num_attention_heads')}" (${cfg.numAttentionHeads})`,
    );
  }
  const pooling = raw.classifier_pooling;
  if (pooling === 'cls' || pooling === 'mean') cfg.classifierPooling = pooling;
  else if (pooling !== undefined && pooling !== null) bad('classifier_pooling', '"cls" or "mean"');
  if (family.modelType === 'bert') return cfg;
  cfg.family = family.modelType;
  if (family.sharedLayers) checkSharing(raw, file);
  if (family.block === 'modernbert') cfg.modernBert = modernBertSettings(raw, file, cfg.numHiddenLayers);
  if (family.embeddingProjection !== 'never' && raw.embedding_size !== undefined && raw.embedding_size !== null) cfg.embeddingSize = int('embedding_size', 1);
  const dropout = raw[family.classifierDropoutKey];
  if (typeof dropout === 'number') {
    if (!probability(dropout)) bad(family.classifierDropoutKey, 'a probability in [0, 1)');
    cfg.classifierDropout = dropout;
  }
  if (family.positions === 'relative') cfg.relativeAttention = readRelativeAttention(raw, cfg, file);
  if (family.positions === 'after-padding' && cfg.padTokenId + 1 >= cfg.maxPositionEmbeddings) {
    throw new BertftError(
      `${file}: field "max_position_embeddings" (${cfg.maxPositionEmbeddings}) leaves no positions after "pad_token_id" (${cfg.padTokenId})`,
    );
  }
  return cfg;
}

/**
 * The snake_case config.json for a BertConfig, in its family's keys. Keys of `base` that
 * BertConfig does not cover (architectures, id2label, tokenizer hints, …) are kept, in their
 * original order.
 */
export function rawFromBertConfig(config: BertConfig, base: RawConfig = {}): RawConfig {
  const family = FAMILIES[config.family ?? 'bert'];
  const bert: RawConfig = {
    ...base,
    model_type: family.modelType,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    intermediate_size: config.intermediateSize,
    hidden_act: config.hiddenAct,
    hidden_dropout_prob: config.hiddenDropoutProb,
    attention_probs_dropout_prob: config.attentionProbsDropoutProb,
    max_position_embeddings: config.maxPositionEmbeddings,
    type_vocab_size: config.typeVocabSize,
    layer_norm_eps: config.layerNormEps,
    pad_token_id: config.padTokenId,
    initializer_range: config.initializerRange,
  };
  if (config.classifierPooling !== undefined) bert.classifier_pooling = config.classifierPooling;
  if (family.modelType === 'bert') return bert;
  if (config.embeddingSize !== undefined) bert.embedding_size = config.embeddingSize;
  if (config.classifierDropout !== undefined) bert[family.classifierDropoutKey] = config.classifierDropout;
  if (config.relativeAttention !== undefined) {
    for (const [key, v] of Object.entries(DEBERTA_V3)) bert[key] ??= v;
    bert.pos_att_type ??= ['p2c', 'c2p'];
    bert.position_buckets ??= config.relativeAttention.positionBuckets;
    bert.max_relative_positions ??= config.relativeAttention.maxRelativePositions;
  }
  if (config.modernBert !== undefined) Object.assign(bert, rawFromModernBertSettings(config.modernBert, base));
  for (const key of family.absentKeys) delete bert[key];
  const out: RawConfig = {};
  for (const [key, v] of Object.entries(bert)) {
    const own = family.configKeys[key];
    out[own ?? key] = v; // a family key already in `base` keeps its place and takes the new value
  }
  return out;
}

/** Writes `dir/config.json` atomically, as 2-space JSON with a final newline (as transformers writes it). */
export async function writeConfig(dir: string, raw: RawConfig): Promise<void> {
  await writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(raw, null, 2)}\n`);
}
