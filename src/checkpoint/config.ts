import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BertftError } from '../errors.js';
import type { BertConfig, RawConfig } from '../models/bert/config.js';
import { writeFileAtomic } from './atomic.js';

/** Reads `config.json` of a model folder. */
export async function readBertConfig(dir: string): Promise<{ config: BertConfig; raw: RawConfig; file: string }> {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new BertftError(`${file}: not found; a model folder needs config.json (is ${dir} a Hugging Face model folder?)`);
  }
  let raw: RawConfig;
  try {
    raw = JSON.parse(text) as RawConfig;
  } catch (e) {
    throw new BertftError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return { config: bertConfigFromRaw(raw, file), raw, file };
}

/** Checks and converts config.json's snake_case fields (defaults as in HF's BertConfig). */
export function bertConfigFromRaw(raw: RawConfig, file: string): BertConfig {
  if (raw.model_type !== undefined && raw.model_type !== 'bert') {
    throw new BertftError(`${file}: model_type is "${String(raw.model_type)}"; bertft runs BERT models (model_type "bert")`);
  }
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new BertftError(`${file}: field "${key}" must be a non-negative whole number${v === undefined ? ' and is missing' : `, got ${JSON.stringify(v)}`}`);
    }
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new BertftError(`${file}: field "${key}" must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const act = raw.hidden_act ?? 'gelu';
  if (act !== 'gelu') throw new BertftError(`${file}: hidden_act "${String(act)}" is not supported; bertft implements BERT's exact (erf) "gelu"`);
  const cfg: BertConfig = {
    vocabSize: int('vocab_size'),
    hiddenSize: int('hidden_size'),
    numHiddenLayers: int('num_hidden_layers'),
    numAttentionHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    hiddenAct: 'gelu',
    hiddenDropoutProb: num('hidden_dropout_prob', 0.1),
    attentionProbsDropoutProb: num('attention_probs_dropout_prob', 0.1),
    maxPositionEmbeddings: int('max_position_embeddings', 512),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: num('layer_norm_eps', 1e-12),
    padTokenId: int('pad_token_id', 0),
    initializerRange: num('initializer_range', 0.02),
  };
  if (cfg.numAttentionHeads === 0 || cfg.hiddenSize % cfg.numAttentionHeads !== 0) {
    throw new BertftError(`${file}: hidden_size ${cfg.hiddenSize} is not divisible by num_attention_heads ${cfg.numAttentionHeads}`);
  }
  return cfg;
}

/** The snake_case config.json for a BertConfig, keeping unknown keys of `base`. */
export function rawFromBertConfig(config: BertConfig, base: RawConfig = {}): RawConfig {
  return {
    ...base,
    model_type: 'bert',
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
}

/** Writes config.json atomically (2-space JSON, as transformers writes it). */
export async function writeConfig(dir: string, raw: RawConfig): Promise<void> {
  await writeFileAtomic(join(dir, 'config.json'), JSON.stringify(raw, null, 2) + '\n');
}
